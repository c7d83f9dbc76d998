import { CircuitState, type IBreaker } from 'cockatiel';

/** Opens when more than `failureRate` (0–1) of the calls in the last `windowMs` failed, once at least `minimumCalls` were made in it. */
export interface FailureRateRule {
  failureRate: number;
  windowMs: number;
  minimumCalls: number;
}

interface Bucket {
  startedAt: number;
  failures: number;
  successes: number;
}

/** The window is judged in tenths, each dropped whole once it has left the window. */
const BUCKETS_PER_WINDOW = 10;

/**
 * The failure-rate rule as a cockatiel breaker (cockatiel keeps the states, the
 * half-open probe and the events). cockatiel's own SamplingBreaker advances one bucket
 * per call, so under light traffic (a fallback that sees calls only during incidents)
 * failures from hours ago still count; here every bucket older than the window is
 * dropped before the calls are judged.
 */
export class FailureRateBreaker implements IBreaker {
  private buckets: Bucket[] = [];
  private readonly bucketMs: number;

  constructor(
    private readonly rule: FailureRateRule,
    private readonly now: () => number = Date.now,
  ) {
    this.bucketMs = Math.max(1, rule.windowMs / BUCKETS_PER_WINDOW);
  }

  get state(): unknown {
    return this.buckets.map((bucket) => ({ ...bucket }));
  }

  set state(value: unknown) {
    this.buckets = Array.isArray(value) ? (value as Bucket[]).map((bucket) => ({ ...bucket })) : [];
  }

  success(state: CircuitState): void {
    // A probe that got through starts a fresh window: the failures that opened the breaker are behind it.
    if (state === CircuitState.HalfOpen) this.buckets = [];
    this.current().successes += 1;
  }

  failure(state: CircuitState): boolean {
    this.current().failures += 1;
    if (state !== CircuitState.Closed) return true;
    let failures = 0;
    let calls = 0;
    for (const bucket of this.buckets) {
      failures += bucket.failures;
      calls += bucket.failures + bucket.successes;
    }
    const opens = calls >= this.rule.minimumCalls && failures > this.rule.failureRate * calls;
    // cockatiel may close the breaker without a success (a probe that ends in an error it does not count),
    // and counts a call that began before the opening as it ends: neither may meet the old failures again.
    if (opens) this.buckets = [];
    return opens;
  }

  private current(): Bucket {
    const now = this.now();
    const oldestKept = now - this.rule.windowMs;
    while (this.buckets.length > 0 && this.buckets[0]!.startedAt <= oldestKept) this.buckets.shift();
    let last = this.buckets.at(-1);
    if (!last || now - last.startedAt >= this.bucketMs) {
      last = { startedAt: now, failures: 0, successes: 0 };
      this.buckets.push(last);
    }
    return last;
  }
}
