import type { RateLimitCounter } from './rate-limit-counter.js';

export interface FallbackListener {
  /** The first failure of an outage; later ones stay quiet until the shared counters answer again. */
  onUnavailable(error: Error): void;
  onRecovered(): void;
}

/**
 * Fail open, but not wide open: when the shared counters cannot be reached, each
 * process keeps counting on its own until they can. Limits exist for fairness and
 * capacity, not for correctness (tenant budgets, reserved before each model call, cap
 * spend), so a Redis outage must not become an API outage, as failing closed would
 * make it. The price: while Redis is down, N processes admit up to N times a limit.
 */
export function withLocalFallback(shared: RateLimitCounter, local: RateLimitCounter, listener: FallbackListener): RateLimitCounter {
  let unavailable = false;
  return {
    async consume(counters, windowMs) {
      try {
        const result = await shared.consume(counters, windowMs);
        if (unavailable) {
          unavailable = false;
          listener.onRecovered();
        }
        return result;
      } catch (error) {
        if (!unavailable) {
          unavailable = true;
          listener.onUnavailable(error instanceof Error ? error : new Error(String(error)));
        }
        return local.consume(counters, windowMs);
      }
    },
    async close() {
      await shared.close();
      await local.close();
    },
  };
}
