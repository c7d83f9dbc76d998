/**
 * Measured latency per deployment as an exponentially weighted moving average: recent
 * calls count most, one slow outlier does not flip the ranking for good. In-process and
 * per replica on purpose: each process routes on what it sees.
 */
export interface LatencyTracker {
  record(deployment: string, milliseconds: number): void;
  /** Undefined until the deployment has been measured once. */
  estimate(deployment: string): number | undefined;
  snapshot(): Record<string, number>;
}

export interface LatencyTrackerOptions {
  /** Weight of the newest sample, from 0 (never move) to 1 (only the last call counts); defaults to 0.3. */
  smoothing?: number;
}

export function createLatencyTracker(options: LatencyTrackerOptions = {}): LatencyTracker {
  const smoothing = options.smoothing ?? 0.3;
  if (!(smoothing > 0 && smoothing <= 1)) throw new RangeError(`smoothing must be in (0, 1], got ${smoothing}`);
  const averages = new Map<string, number>();
  return {
    record(deployment, milliseconds) {
      const previous = averages.get(deployment);
      averages.set(deployment, previous === undefined ? milliseconds : previous + smoothing * (milliseconds - previous));
    },
    estimate: (deployment) => averages.get(deployment),
    snapshot: () => Object.fromEntries(averages),
  };
}
