export interface BackoffOptions {
  /** The ceiling of the first retry's delay. */
  baseDelayMs: number;
  /** No delay exceeds this, however many retries came before. */
  maxDelayMs: number;
}

/**
 * "Full jitter" (AWS Architecture Blog, Exponential Backoff and Jitter): a uniform draw
 * between zero and an exponentially growing ceiling. Spreads retries of many clients
 * that failed together, where plain exponential backoff would have them collide again.
 */
export function fullJitterDelay(retry: number, options: BackoffOptions, random: () => number): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * ceiling);
}

/**
 * The wait before retry number `retry` (1-based). A provider's Retry-After is a deadline:
 * nothing goes out before it, and a little jitter on top keeps the clients it throttled
 * together from returning in the same millisecond.
 */
export function retryDelay(retry: number, retryAfterMs: number | undefined, options: BackoffOptions, random: () => number): number {
  if (retryAfterMs === undefined) return fullJitterDelay(retry, options, random);
  return Math.ceil(retryAfterMs) + Math.floor(random() * options.baseDelayMs);
}
