import type { CounterState, RateLimitCounter } from './rate-limit-counter.js';

export interface InProcessRateLimitCounterOptions {
  now?: () => number;
  /** Past this many live counters, ended windows are swept (bounds memory under many keys). */
  sweepAbove?: number;
}

interface Window {
  used: number;
  endsAt: number;
}

/** Counters in this process's memory: the embedded profile, and the stand-in while Redis is unreachable. */
export function createInProcessRateLimitCounter(options: InProcessRateLimitCounterOptions = {}): RateLimitCounter {
  const now = options.now ?? Date.now;
  const sweepAbove = options.sweepAbove ?? 10_000;
  const windows = new Map<string, Window>();

  const sweep = (at: number) => {
    for (const [id, window] of windows) if (window.endsAt <= at) windows.delete(id);
  };

  return {
    async consume(counters, windowMs) {
      const at = now();
      const current = counters.map(({ id }) => {
        const window = windows.get(id);
        return window && window.endsAt > at ? window : { used: 0, endsAt: at + windowMs };
      });
      for (const [index, counter] of counters.entries()) {
        const window = current[index]!;
        if (window.used + counter.amount > counter.limit) {
          return { allowed: false, refusedIndex: index, counter: { used: window.used, resetInMs: window.endsAt - at } };
        }
      }
      const states: CounterState[] = [];
      for (const [index, counter] of counters.entries()) {
        const window = current[index]!;
        window.used += counter.amount;
        const ahead = counter.ahead && counter.ahead.amount > 0 && counter.limit - window.used - counter.ahead.amount >= counter.ahead.keepFree ? counter.ahead.amount : 0;
        window.used += ahead;
        windows.set(counter.id, window);
        states.push({ used: window.used, resetInMs: window.endsAt - at, countedAhead: ahead });
      }
      if (windows.size > sweepAbove) sweep(at);
      return { allowed: true, counters: states };
    },
    async close() {
      windows.clear();
    },
  };
}
