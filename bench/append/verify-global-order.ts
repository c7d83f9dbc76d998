import { START_POSITION } from '../../domain/events/global-position.js';
import type { EventStore } from '../../infra/event-store/port.js';
import { now, sleep } from '../support/timing.js';

export interface GlobalOrderCheck {
  events: number;
  streams: number;
  batches: number;
  /** Empty when the order holds; otherwise what broke it, first problems first. */
  problems: string[];
}

/**
 * Reads `$all` back in batches, as a projector would after the load, and checks what
 * a projector relies on: positions strictly increase, nothing is missing, and each
 * stream's events arrive with revisions 0, 1, 2, … in that order.
 */
export async function verifyGlobalOrder(
  store: EventStore,
  expectedEvents: number,
  options: { batchSize?: number; settleTimeoutMs?: number } = {},
): Promise<GlobalOrderCheck> {
  const batchSize = options.batchSize ?? 1_000;
  // The read horizon is the oldest open transaction on the whole server, so another
  // database's transaction can hold the tail back for a moment: wait for it, briefly.
  const settleDeadline = now() + (options.settleTimeoutMs ?? 10_000);
  const problems: string[] = [];
  const nextRevision = new Map<string, number>();
  let position = START_POSITION;
  let events = 0;
  let batches = 0;
  for (;;) {
    const batch = await store.readAll({ after: position, maxCount: batchSize });
    batches += 1;
    for (const event of batch.events) {
      if (event.position <= position && problems.length < 10) {
        problems.push(`position ${event.position} does not follow ${position}`);
      }
      const expectedRevision = nextRevision.get(event.streamId) ?? 0;
      if (event.revision !== expectedRevision && problems.length < 10) {
        problems.push(`${event.streamId}: revision ${event.revision} where ${expectedRevision} was due`);
      }
      nextRevision.set(event.streamId, event.revision + 1);
      position = event.position;
      events += 1;
    }
    if (batch.isEnd) {
      if (events >= expectedEvents || now() > settleDeadline) break;
      await sleep(50);
    }
  }
  if (events !== expectedEvents) problems.unshift(`read ${events} events, appended ${expectedEvents}`);
  return { events, streams: nextRevision.size, batches, problems };
}
