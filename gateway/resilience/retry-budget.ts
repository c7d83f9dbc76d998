import { systemClock, type Clock } from './clock.js';

/**
 * A per-process allowance of retries, so that when an upstream is down retries add a
 * bounded share to the load instead of multiplying it (the retry budget of Finagle and
 * gRPC). Every request deposits `ratio` of a token, every retry spends a whole one, and
 * a trickle of `minimumPerSecond` keeps a quiet process able to retry at all.
 */
export interface RetryBudget {
  /** Called once per request, before its first attempt. */
  recordRequest(): void;
  /** Spends a token for one retry; false means the budget is exhausted and the caller fails fast. */
  tryAcquireRetry(): boolean;
  readonly balance: number;
}

export interface RetryBudgetOptions {
  /** Retries may add at most this share to the request rate; defaults to 0.2 (20 %). */
  ratio?: number;
  /** Retries per second allowed regardless of traffic; defaults to 1. */
  minimumPerSecond?: number;
  /** Most tokens saved up, which is also the burst of retries allowed at start; defaults to 10. */
  capacity?: number;
  clock?: Clock;
}

export function createRetryBudget(options: RetryBudgetOptions = {}): RetryBudget {
  const ratio = options.ratio ?? 0.2;
  const minimumPerSecond = options.minimumPerSecond ?? 1;
  const capacity = options.capacity ?? 10;
  const clock = options.clock ?? systemClock;
  if (ratio < 0 || minimumPerSecond < 0 || capacity < 0) throw new RangeError('retry budget options must not be negative');
  let balance = capacity;
  let refilledAt = clock.now();

  const refill = (): void => {
    const now = clock.now();
    balance = Math.min(capacity, balance + (Math.max(0, now - refilledAt) / 1000) * minimumPerSecond);
    refilledAt = now;
  };

  return {
    recordRequest() {
      refill();
      balance = Math.min(capacity, balance + ratio);
    },
    tryAcquireRetry() {
      refill();
      if (balance < 1) return false;
      balance -= 1;
      return true;
    },
    get balance() {
      refill();
      return balance;
    },
  };
}
