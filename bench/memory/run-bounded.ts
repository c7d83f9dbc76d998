/**
 * Runs `job(0) … job(count − 1)` with at most `concurrency` at once and returns the
 * results in order; the first failure stops new jobs and is thrown once the running
 * ones have settled.
 */
export async function runBounded<Result>(
  count: number,
  concurrency: number,
  job: (index: number) => Promise<Result>,
  onProgress?: (done: number) => void,
): Promise<Result[]> {
  const results: Result[] = new Array<Result>(count);
  let next = 0;
  let done = 0;
  let failure: Error | undefined;
  const worker = async () => {
    while (failure === undefined && next < count) {
      const index = next;
      next += 1;
      try {
        results[index] = await job(index);
      } catch (error) {
        failure ??= error instanceof Error ? error : new Error(`job ${index} failed`, { cause: error });
      }
      done += 1;
      onProgress?.(done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  if (failure !== undefined) throw failure;
  return results;
}
