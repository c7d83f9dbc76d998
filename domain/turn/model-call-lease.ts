/**
 * A live starter ends its model call at the lease and records the timeout; another
 * worker waits this much longer, so it takes over only a call whose starter is gone.
 */
export function takeoverAfterMs(leaseMs: number): number {
  return leaseMs + Math.max(1_000, leaseMs / 10);
}
