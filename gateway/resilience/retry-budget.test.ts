import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fullJitterDelay, retryDelay } from './backoff.js';
import { createManualClock } from './clock.js';
import { createRetryBudget } from './retry-budget.js';

describe('createRetryBudget', () => {
  it('lets retries add at most the configured share of the request rate once the burst is spent', () => {
    const clock = createManualClock();
    const budget = createRetryBudget({ ratio: 0.1, minimumPerSecond: 0, capacity: 5, clock });
    let retries = 0;
    for (let request = 0; request < 1_000; request += 1) {
      budget.recordRequest();
      // Every request fails and asks for a retry: a storm.
      if (budget.tryAcquireRetry()) retries += 1;
    }
    // 5 saved up at start, then one per ten requests.
    expect(retries).toBeGreaterThanOrEqual(100);
    expect(retries).toBeLessThanOrEqual(105);
  });

  it('refills a trickle per second for a quiet process, up to its capacity', () => {
    const clock = createManualClock();
    const budget = createRetryBudget({ ratio: 0, minimumPerSecond: 2, capacity: 3, clock });
    while (budget.tryAcquireRetry());
    expect(budget.tryAcquireRetry()).toBe(false);
    clock.advance(1_000);
    expect([budget.tryAcquireRetry(), budget.tryAcquireRetry(), budget.tryAcquireRetry()]).toEqual([true, true, false]);
    clock.advance(60_000);
    expect(budget.balance).toBe(3);
  });
});

describe('backoff', () => {
  const options = { baseDelayMs: 100, maxDelayMs: 2_000 };

  it('draws full jitter under an exponential ceiling that stops at the maximum', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (retry, draw) => {
        const delay = fullJitterDelay(retry, options, () => draw);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(Math.min(2_000, 100 * 2 ** (retry - 1)));
      }),
    );
    expect(fullJitterDelay(3, options, () => 0.5)).toBe(200);
  });

  it('never waits less than a Retry-After', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 0, max: 120_000 }), fc.double({ min: 0, max: 0.999, noNaN: true }), (retry, after, draw) => {
        const delay = retryDelay(retry, after, options, () => draw);
        expect(delay).toBeGreaterThanOrEqual(after);
        expect(delay).toBeLessThan(after + options.baseDelayMs);
      }),
    );
  });
});
