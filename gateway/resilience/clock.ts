import { setTimeout as delay } from 'node:timers/promises';

/**
 * Time as the resilience middleware sees it. Injected so tests of backoff, Retry-After
 * and retry budgets run in virtual time: fast, and the same on every machine.
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Resolves after `milliseconds`; rejects with the signal's reason once it aborts. */
  sleep(milliseconds: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  // Epoch time that never steps back when the wall clock is set: a duration measured with it is never negative.
  now: () => performance.timeOrigin + performance.now(),
  async sleep(milliseconds, signal) {
    if (signal?.aborted) throw abortReason(signal);
    try {
      await delay(Math.max(0, milliseconds), undefined, signal ? { signal } : undefined);
    } catch (error) {
      throw signal?.aborted ? abortReason(signal) : error;
    }
  },
};

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new Error('aborted');
}

/** A clock whose sleeps return at once and move its time on, and that remembers them. */
export interface ManualClock extends Clock {
  /** Every sleep asked for, in order. */
  readonly sleeps: number[];
  advance(milliseconds: number): void;
}

/**
 * Virtual time for deterministic tests and replays: backoff and Retry-After waits take
 * no real time, yet every timestamp they produce is what a real run would see. Not for
 * timeouts, which race real work: a sleep here would win every race.
 */
export function createManualClock(start = Date.UTC(2025, 0, 1)): ManualClock {
  let now = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    advance(milliseconds) {
      now += milliseconds;
    },
    async sleep(milliseconds, signal) {
      if (signal?.aborted) throw signal.reason ?? new Error('aborted');
      sleeps.push(milliseconds);
      now += Math.max(0, milliseconds);
      // Yield once, as a real timer would, so concurrent work interleaves.
      await new Promise<void>((resolve) => setImmediate(resolve));
    },
  };
}
