import { START_POSITION } from '../../domain/events/global-position.js';
import type { EventStore } from '../../infra/event-store/port.js';
import { now, sleep } from '../support/timing.js';

export interface LagProbe {
  readonly label: string;
  /** When each event reached this subscriber, by event id. */
  readonly receivedAt: ReadonlyMap<string, number>;
  /** Waits until every id was received or the time runs out; true when all arrived. */
  waitFor(eventIds: Iterable<string>, timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * A live `$all` subscriber that only notes the moment each event reaches it, so the
 * lag measured is the store's (wake-up, read, decode), not a projector's work.
 * Resolves once the subscription has caught up and is waiting for new commits.
 */
export async function startLagProbe(label: string, store: EventStore): Promise<LagProbe> {
  const receivedAt = new Map<string, number>();
  let failure: Error | undefined;
  let live = false;
  let caughtUp!: () => void;
  const ready = new Promise<void>((resolve) => {
    caughtUp = resolve;
  });
  const subscription = store.subscribeToAll({
    after: START_POSITION,
    onCaughtUp: () => {
      live = true;
      caughtUp();
    },
  });
  const consuming = (async () => {
    try {
      // History read while catching up is not lag, and keeping it would only grow the heap.
      for await (const event of subscription) if (live) receivedAt.set(event.id, now());
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
      caughtUp();
    }
  })();
  await ready;
  if (failure) throw failure;

  return {
    label,
    receivedAt,
    async waitFor(eventIds, timeoutMs) {
      const ids = [...eventIds];
      const deadline = now() + timeoutMs;
      while (now() < deadline) {
        if (failure) throw failure;
        if (ids.every((id) => receivedAt.has(id))) return true;
        await sleep(20);
      }
      return ids.every((id) => receivedAt.has(id));
    },
    async close() {
      await subscription.close();
      await consuming;
    },
  };
}
