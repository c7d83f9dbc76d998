import type { KurrentDBClient } from '@kurrent/kurrentdb-client';
import type { RecordedEvent } from '../../../domain/events/envelope.js';
import type { AllSubscription, SubscribeToAllOptions } from '../port.js';
import { followAll, type FollowedAll } from './follow-all.js';

const FIRST_RETRY_DELAY_MS = 50;
const MAX_RETRY_DELAY_MS = 5_000;

/**
 * Follows `$all` with KurrentDB catch-up subscriptions. When one fails (a restarted
 * server, a dropped connection) the error goes to `onError` and a new one starts after
 * the last delivered event, after a growing pause. `onClosed` lets the store forget it.
 */
export function subscribeToAll(client: KurrentDBClient, options: SubscribeToAllOptions, onClosed: () => void): AllSubscription {
  const { onCaughtUp, onError, signal } = options;
  let position = options.after;
  let caughtUpReported = false;
  let current: FollowedAll | undefined;
  let closing: Promise<void> | undefined;
  let wake: (() => void) | undefined;

  const reportCaughtUp = (): void => {
    if (caughtUpReported) return;
    caughtUpReported = true;
    onCaughtUp?.();
  };
  const close = (): Promise<void> => {
    closing ??= (async () => {
      signal?.removeEventListener('abort', onAbort);
      wake?.();
      await current?.stop();
      onClosed();
    })();
    return closing;
  };
  const onAbort = (): void => void close();
  if (signal?.aborted) void close();
  else signal?.addEventListener('abort', onAbort, { once: true });

  const pause = (milliseconds: number): Promise<void> =>
    new Promise((resolve) => {
      if (closing !== undefined) return resolve();
      const timer = setTimeout(resolve, milliseconds);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  async function* deliver(): AsyncGenerator<RecordedEvent> {
    let retryDelay = FIRST_RETRY_DELAY_MS;
    try {
      while (closing === undefined) {
        const followed = (current = followAll(client, position, reportCaughtUp));
        try {
          for await (const event of followed.events) {
            yield event;
            position = event.position;
            retryDelay = FIRST_RETRY_DELAY_MS;
          }
          throw new Error('KurrentDB ended the $all subscription');
        } catch (error) {
          // Closing stops the subscription under the loop; that is the end, not a failure.
          if (closing !== undefined) return;
          onError?.(error);
        } finally {
          await followed.stop();
        }
        await pause(retryDelay);
        retryDelay = Math.min(retryDelay * 2, MAX_RETRY_DELAY_MS);
      }
    } finally {
      await close();
    }
  }

  const iterator = deliver();
  return {
    [Symbol.asyncIterator]: () => iterator,
    async close() {
      await close();
      await iterator.return(undefined);
    },
  };
}
