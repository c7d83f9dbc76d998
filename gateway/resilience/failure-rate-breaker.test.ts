import { CircuitState } from 'cockatiel';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FailureRateBreaker, type FailureRateRule } from './failure-rate-breaker.js';

/** A breaker on a clock the test moves. */
function breakerAt(rule: FailureRateRule) {
  let now = 1_000_000;
  const breaker = new FailureRateBreaker(rule, () => now);
  return {
    breaker,
    advance: (ms: number) => void (now += ms),
    fail: () => breaker.failure(CircuitState.Closed),
    succeed: () => breaker.success(CircuitState.Closed),
  };
}

describe('the failure-rate breaker', () => {
  it('waits for exactly minimumCalls calls in the window, whatever its length', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 120_000 }), fc.integer({ min: 1, max: 50 }), (windowMs, minimumCalls) => {
        const { fail } = breakerAt({ failureRate: 0.5, windowMs, minimumCalls });
        for (let call = 1; call < minimumCalls; call += 1) expect(fail()).toBe(false);
        expect(fail()).toBe(true);
      }),
    );
  });

  it('opens only above the rate: half the calls failing is not enough', () => {
    const { fail, succeed } = breakerAt({ failureRate: 0.5, windowMs: 30_000, minimumCalls: 4 });
    succeed();
    succeed();
    expect(fail()).toBe(false);
    expect(fail()).toBe(false);
    expect(fail()).toBe(true);
  });

  it('forgets calls once they have left the window, however light the traffic', () => {
    const { fail, advance } = breakerAt({ failureRate: 0.5, windowMs: 30_000, minimumCalls: 5 });
    // Five failures an hour apart: never five in any 30 s.
    for (let call = 0; call < 5; call += 1) {
      expect(fail()).toBe(false);
      advance(3_600_000);
    }
    for (let call = 0; call < 4; call += 1) {
      expect(fail()).toBe(false);
      advance(7_000);
    }
    // The first of these four is now 28 s old: still in the window.
    expect(fail()).toBe(true);
  });

  it('starts a fresh window when a half-open probe succeeds', () => {
    const { breaker, fail, succeed } = breakerAt({ failureRate: 0.5, windowMs: 30_000, minimumCalls: 3 });
    fail();
    fail();
    expect(breaker.failure(CircuitState.HalfOpen)).toBe(true);
    breaker.success(CircuitState.HalfOpen);
    succeed();
    // Two successes since the probe: two failures are half, the third is more.
    expect(fail()).toBe(false);
    expect(fail()).toBe(false);
    expect(fail()).toBe(true);
  });

  it('leaves the failures that opened it behind, so one more failure cannot reopen it', () => {
    const { fail } = breakerAt({ failureRate: 0.5, windowMs: 30_000, minimumCalls: 3 });
    fail();
    fail();
    expect(fail()).toBe(true);
    // A probe that ended in an error cockatiel does not count closes it without a success; or a call that began before it opened ends now.
    expect(fail()).toBe(false);
    expect(fail()).toBe(false);
    expect(fail()).toBe(true);
  });

  it('keeps its counts through state, as cockatiel serialises breakers', () => {
    const first = breakerAt({ failureRate: 0.5, windowMs: 30_000, minimumCalls: 3 });
    first.fail();
    first.fail();
    const second = breakerAt({ failureRate: 0.5, windowMs: 30_000, minimumCalls: 3 });
    second.breaker.state = first.breaker.state;
    expect(second.fail()).toBe(true);
  });
});
