export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/**
 * Nearest-rank percentile: the smallest sample with at least `fraction` of the samples
 * at or below it, so a reported p99 is a latency some call actually had.
 */
export function percentile(sortedSamples: ArrayLike<number>, fraction: number): number {
  if (sortedSamples.length === 0) return Number.NaN;
  const rank = Math.ceil(fraction * sortedSamples.length);
  return sortedSamples[Math.min(sortedSamples.length, Math.max(1, rank)) - 1] ?? Number.NaN;
}

/** Sorts a copy of the samples (milliseconds) and reads the usual percentiles off it. */
export function summarizeLatencies(samples: readonly number[]): LatencySummary {
  const sorted = Float64Array.from(samples).sort();
  let total = 0;
  for (const sample of sorted) total += sample;
  return {
    count: sorted.length,
    mean: sorted.length === 0 ? Number.NaN : total / sorted.length,
    p50: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    p99: percentile(sorted, 0.99),
    max: sorted.length === 0 ? Number.NaN : (sorted[sorted.length - 1] ?? Number.NaN),
  };
}
