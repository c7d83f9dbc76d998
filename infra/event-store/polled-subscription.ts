import type { RecordedEvent } from '../../domain/events/envelope.js';
import type { GlobalPosition } from '../../domain/events/global-position.js';
import type { AllSubscription, ReadAllResult, SubscribeToAllOptions } from './port.js';

export interface PolledSubscriptionSource {
  /**
   * One batch; `blocked` says committed events wait behind an open transaction (readable soon, with no new commit to announce it).
   * `unannounced`: the reader woke without a commit announcement (its poll, or a backoff), so the
   * end of the log must be looked up afresh, not taken from a read that began before.
   */
  readAll(options: { after: GlobalPosition; maxCount: number; unannounced?: boolean }): Promise<ReadAllResult & { blocked?: boolean }>;
  /** Registers a wake-up for new commits; resolves to an unregister function. */
  listen(onCommit: () => void): Promise<() => Promise<void>>;
}

export interface PolledSubscriptionSettings {
  batchSize: number;
  /** Safety net for lost notifications; never the main wake-up. */
  pollIntervalMs: number;
  /** Longest wait between reads while events are blocked behind an open transaction. */
  maxBlockedBackoffMs: number;
}

const FIRST_BLOCKED_BACKOFF_MS = 2;

/**
 * Catch-up then live: reads batches until the end, then sleeps until a commit
 * notification (or the poll interval) and reads again. Reads that fail are retried
 * with backoff, so a restarted database only pauses the subscription.
 */
export function createPolledSubscription(
  source: PolledSubscriptionSource,
  options: SubscribeToAllOptions,
  settings: PolledSubscriptionSettings,
): AllSubscription {
  let closed = false;
  let woken = false;
  let wake: (() => void) | undefined;
  const onWake = () => {
    woken = true;
    wake?.();
  };
  const unlistening = source.listen(onWake);
  const close = async () => {
    closed = true;
    onWake();
    await (await unlistening.catch(() => async () => undefined))();
  };
  if (options.signal?.aborted) void close();
  else options.signal?.addEventListener('abort', () => void close(), { once: true });

  const sleep = (milliseconds: number) =>
    new Promise<void>((resolve) => {
      if (woken || closed) return resolve();
      const timer = setTimeout(done, milliseconds);
      function done() {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });

  async function* events(): AsyncGenerator<RecordedEvent> {
    await unlistening;
    let position = options.after;
    let caughtUp = false;
    let blockedBackoff = FIRST_BLOCKED_BACKOFF_MS;
    let errorBackoff = 50;
    let slept = false;
    while (!closed) {
      const unannounced = slept && !woken;
      slept = false;
      woken = false;
      let batch: ReadAllResult & { blocked?: boolean };
      try {
        batch = await source.readAll({ after: position, maxCount: settings.batchSize, unannounced });
        errorBackoff = 50;
      } catch (error) {
        options.onError?.(error);
        await sleep(errorBackoff);
        errorBackoff = Math.min(errorBackoff * 2, 5_000);
        continue;
      }
      for (const event of batch.events) {
        if (closed) return;
        yield event;
        position = event.position;
      }
      if (!batch.isEnd) continue;
      if (!caughtUp) {
        caughtUp = true;
        options.onCaughtUp?.();
      }
      if (woken) continue;
      slept = true;
      if (batch.blocked) {
        await sleep(blockedBackoff);
        blockedBackoff = Math.min(blockedBackoff * 2, settings.maxBlockedBackoffMs);
      } else {
        blockedBackoff = FIRST_BLOCKED_BACKOFF_MS;
        await sleep(settings.pollIntervalMs);
      }
    }
  }

  const iterator = events();
  return {
    [Symbol.asyncIterator]: () => iterator,
    close: async () => {
      await close();
      await iterator.return(undefined);
    },
  };
}
