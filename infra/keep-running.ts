/**
 * Runs `work` again whenever it returns or throws, until `signal` aborts; failures are
 * reported and retried after a backoff that doubles up to 10 s and resets on success.
 * The loop every long-lived reader (forwarder, projection runner) needs.
 */
export async function keepRunning(signal: AbortSignal, work: () => Promise<void>, onError: (error: unknown) => void): Promise<void> {
  let backoffMs = 100;
  while (!signal.aborted) {
    try {
      await work();
      backoffMs = 100;
    } catch (error) {
      if (signal.aborted) return;
      onError(error);
      await new Promise((resolve) => setTimeout(resolve, backoffMs));
      backoffMs = Math.min(backoffMs * 2, 10_000);
    }
  }
}
