import { newId } from '../../domain/shared/ids.js';
import { now } from '../support/timing.js';
import type { AppendTarget } from './append-target.js';

export interface WriterLoad {
  writers: number;
  eventsPerAppend: number;
  durationMs: number;
  /** A writer moves to a new stream after this many appends, as turns end and new ones start. */
  appendsPerStream: number;
  /** Called about five times a second with the appends finished so far. */
  onProgress?: (elapsedMs: number, appends: number) => void;
}

export interface WriterRun {
  appends: number;
  events: number;
  elapsedMs: number;
  /** One latency per append, in milliseconds. */
  latencies: number[];
}

/**
 * Closed loop: each writer issues its next append as soon as the previous one
 * resolves, on streams nobody else writes, so every append passes its revision check
 * and the figure is the store's own ceiling at that concurrency.
 */
export async function runClosedLoopWriters(target: AppendTarget, load: WriterLoad): Promise<WriterRun> {
  const latencies: number[] = [];
  const started = now();
  const deadline = started + load.durationMs;
  const ticker = setInterval(() => load.onProgress?.(now() - started, latencies.length), 200);

  // One failing writer stops the others, so the error surfaces instead of a half-measured figure.
  let failed = false;
  const writer = async () => {
    let streamName = `turn-${newId()}`;
    let eventsSoFar = 0;
    let appendsOnStream = 0;
    while (!failed && now() < deadline) {
      const before = now();
      try {
        await target.append(streamName, eventsSoFar, load.eventsPerAppend);
      } catch (error) {
        failed = true;
        throw error;
      }
      latencies.push(now() - before);
      eventsSoFar += load.eventsPerAppend;
      appendsOnStream += 1;
      if (appendsOnStream === load.appendsPerStream) {
        streamName = `turn-${newId()}`;
        eventsSoFar = 0;
        appendsOnStream = 0;
      }
    }
  };

  const outcomes = await Promise.allSettled(Array.from({ length: load.writers }, writer));
  clearInterval(ticker);
  const failure = outcomes.find((outcome) => outcome.status === 'rejected');
  if (failure) throw failure.reason;
  const elapsedMs = now() - started;
  load.onProgress?.(elapsedMs, latencies.length);
  return { appends: latencies.length, events: latencies.length * load.eventsPerAppend, elapsedMs, latencies };
}
