import { newId } from '../../domain/shared/ids.js';
import { toStreamId } from '../../domain/shared/stream-id.js';
import type { EventStore } from '../../infra/event-store/port.js';
import { newBenchEvents } from '../support/bench-events.js';
import { now, sleep } from '../support/timing.js';

export interface SteadyLoad {
  writers: number;
  /** Appends per second across all writers. */
  ratePerSecond: number;
  durationMs: number;
  /** A writer moves to a new stream after this many appends. */
  appendsPerStream: number;
  /** Called when an append has resolved, i.e. its events are committed. */
  onCommitted: (eventId: string, committedAt: number) => void;
  onProgress?: (elapsedMs: number, appends: number) => void;
}

/**
 * Open loop: appends leave on a fixed schedule whatever the store's latency, the way
 * requests arrive in production, so a slow subscriber cannot slow the load down and
 * hide its own lag. A writer that falls behind catches up without skipping appends.
 */
export async function runSteadyWriters(store: EventStore, load: SteadyLoad): Promise<{ appends: number; elapsedMs: number }> {
  const intervalMs = (1_000 * load.writers) / load.ratePerSecond;
  const started = now();
  let appends = 0;
  const ticker = setInterval(() => load.onProgress?.(now() - started, appends), 200);

  const writer = async (writerIndex: number) => {
    // Staggered starts spread the writers evenly over one interval.
    const offsetMs = (intervalMs * writerIndex) / load.writers;
    let streamId = toStreamId(`turn-${newId()}`);
    let eventsSoFar = 0;
    for (let sequence = 0; ; sequence += 1) {
      // Relative to the start, so rounding on a large clock value cannot add an append.
      const dueMs = offsetMs + sequence * intervalMs;
      if (dueMs >= load.durationMs) return;
      await sleep(started + dueMs - now());
      const events = newBenchEvents(streamId.slice(5), eventsSoFar, 1);
      await store.appendToStream(streamId, events, { expectedRevision: eventsSoFar === 0 ? 'no_stream' : eventsSoFar - 1 });
      const committedAt = now();
      for (const event of events) load.onCommitted(event.id, committedAt);
      appends += 1;
      eventsSoFar += 1;
      if (eventsSoFar === load.appendsPerStream) {
        streamId = toStreamId(`turn-${newId()}`);
        eventsSoFar = 0;
      }
    }
  };

  try {
    await Promise.all(Array.from({ length: load.writers }, (_, index) => writer(index)));
  } finally {
    clearInterval(ticker);
  }
  return { appends, elapsedMs: now() - started };
}
