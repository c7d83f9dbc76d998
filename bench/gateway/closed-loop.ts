import { now } from '../support/timing.js';

export interface ClosedLoopOptions {
  concurrency: number;
  durationMs: number;
  /** Called about every 250 ms with the time spent and the requests finished so far. */
  onProgress?: (elapsedMs: number, finished: number) => void;
}

export interface ClosedLoopRun<Result> {
  results: Result[];
  /** Requests that threw (connection reset, timeout…), by message. */
  failures: Map<string, number>;
  /** From the first request to the last answer, including requests started before the deadline. */
  elapsedMs: number;
}

/**
 * `concurrency` workers, each sending its next request as soon as the previous one is
 * answered, until the time is up: the offered load adapts to the server, so a slow
 * server is measured at the rate it can sustain rather than buried under a queue.
 */
export async function runClosedLoop<Result>(
  options: ClosedLoopOptions,
  send: (sequence: number) => Promise<Result>,
): Promise<ClosedLoopRun<Result>> {
  const results: Result[] = [];
  const failures = new Map<string, number>();
  const startedAt = now();
  const deadline = startedAt + options.durationMs;
  let sequence = 0;
  const progress = setInterval(() => options.onProgress?.(now() - startedAt, results.length), 250);
  const worker = async () => {
    while (now() < deadline) {
      try {
        results.push(await send((sequence += 1)));
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        failures.set(message, (failures.get(message) ?? 0) + 1);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency }, worker));
  } finally {
    clearInterval(progress);
  }
  return { results, failures, elapsedMs: now() - startedAt };
}
