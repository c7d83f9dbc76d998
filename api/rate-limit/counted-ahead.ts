import type { ConsumeResult, CounterLimit, CounterState, RateLimitCounter } from './rate-limit-counter.js';

/**
 * Room that must stay free beyond what one call counts ahead, in multiples of it: near a
 * limit, where units counted ahead here could refuse a call that another process has
 * room for, every call is counted in the shared counter as it comes.
 */
export const ROOM_FACTOR = 16;

export interface CountedAheadOptions {
  /** How many more calls' worth each trip to the shared counters counts ahead, beyond its own. */
  callsAhead: number;
  /** Monotonic milliseconds; injected by tests. */
  clock?: () => number;
  /** Counters remembered; the least recently used forgets what it had counted ahead. */
  maxCounters?: number;
}

interface Allowance {
  /** Counted in the shared counter and not spent yet by this process. */
  left: number;
  /** The shared count when it was last read, what this process counted ahead included. */
  sharedUsed: number;
  /** When the shared counter's window ends, on `clock`. */
  endsAt: number;
}

/**
 * Shared counters asked once per several calls: each trip counts the call's amount and,
 * while plenty of room is left, `callsAhead` more calls' worth, which this process then
 * spends without asking. Nothing is admitted that the shared counter did not count, so
 * every process together still stays within each limit; near a limit each call is
 * counted as it comes. One trip at a time counts ahead for a counter, so what a process
 * holds unspent stays within `callsAhead` calls' worth. What is counted ahead and not spent when the window ends is lost
 * with the window: a process admits a little less, never more.
 */
export function withCountedAhead(shared: RateLimitCounter, options: CountedAheadOptions): RateLimitCounter {
  const clock = options.clock ?? (() => performance.now());
  const maxCounters = options.maxCounters ?? 10_000;
  const allowances = new Map<string, Allowance>();
  /** Counters a trip is counting ahead for now: calls that miss meanwhile count only their own amount, so concurrent misses do not each count ahead. */
  const countingAhead = new Set<string>();

  const spendLocally = (counters: readonly CounterLimit[], at: number): CounterState[] | undefined => {
    const held = counters.map((counter) => allowances.get(counter.id));
    if (!held.every((allowance, index) => allowance && allowance.endsAt > at && allowance.left >= counters[index]!.amount)) return undefined;
    return counters.map((counter, index) => {
      const allowance = held[index]!;
      allowance.left -= counter.amount;
      return { used: allowance.sharedUsed - allowance.left, resetInMs: allowance.endsAt - at, countedAhead: 0 };
    });
  };

  /** Keeps what was counted ahead; the states returned count only what was spent. */
  const remember = (counters: readonly CounterLimit[], states: readonly CounterState[], at: number): CounterState[] => {
    const spent = counters.map((counter, index) => {
      const state = states[index]!;
      const endsAt = at + state.resetInMs;
      const previous = allowances.get(counter.id);
      // What was counted ahead in this same window is still there to spend; an older window's is gone.
      const carried = previous && previous.endsAt > at && Math.abs(previous.endsAt - endsAt) < 1_000 ? previous.left : 0;
      const left = carried + state.countedAhead;
      allowances.delete(counter.id);
      allowances.set(counter.id, { left, sharedUsed: state.used, endsAt });
      return { used: state.used - left, resetInMs: state.resetInMs, countedAhead: state.countedAhead };
    });
    for (const id of allowances.keys()) {
      if (allowances.size <= maxCounters) break;
      allowances.delete(id);
    }
    return spent;
  };

  return {
    async consume(counters, windowMs): Promise<ConsumeResult> {
      const local = spendLocally(counters, clock());
      if (local) return { allowed: true, counters: local };
      const aheadFor = counters.filter((counter) => counter.amount * options.callsAhead > 0 && !countingAhead.has(counter.id)).map((counter) => counter.id);
      for (const id of aheadFor) countingAhead.add(id);
      const asked = counters.map((counter) => {
        const amount = counter.amount * options.callsAhead;
        return aheadFor.includes(counter.id) ? { ...counter, ahead: { amount, keepFree: ROOM_FACTOR * amount } } : counter;
      });
      try {
        const result = await shared.consume(asked, windowMs);
        return result.allowed ? { allowed: true, counters: remember(counters, result.counters, clock()) } : result;
      } finally {
        for (const id of aheadFor) countingAhead.delete(id);
      }
    },
    close: () => shared.close(),
  };
}
