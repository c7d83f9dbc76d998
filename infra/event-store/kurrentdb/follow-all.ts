import { excludeSystemEvents, type AllStreamResolvedEvent, type KurrentDBClient } from '@kurrent/kurrentdb-client';
import type { RecordedEvent } from '../../../domain/events/envelope.js';
import { isAfter, type GlobalPosition } from '../../../domain/events/global-position.js';
import { fromClientPosition, toClientPosition } from './client-position.js';
import { isSystemRecord, recordOf, toRecordedEvent } from './map-recorded-event.js';

/** One KurrentDB catch-up subscription to `$all`, seen as our events. */
export interface FollowedAll {
  /** Ends when the subscription is stopped; throws what the subscription fails with. */
  events: AsyncGenerator<RecordedEvent>;
  stop(): Promise<void>;
}

/**
 * Subscribes after `after`, with system event types filtered on the server.
 * `onCaughtUp` is called each time the server reports the subscription live and every
 * event before that report has been handed over.
 */
export function followAll(client: KurrentDBClient, after: GlobalPosition, onCaughtUp: () => void): FollowedAll {
  const subscription = client.subscribeToAll({ fromPosition: toClientPosition(after), filter: excludeSystemEvents() });
  let serverCaughtUp = false;
  let stopping: Promise<void> | undefined;

  // The caught-up message can overtake records still buffered in the stream; it counts
  // only once the buffer is empty, that is when the consumer has them all.
  const reportWhenDrained = (): void => {
    if (serverCaughtUp && subscription.readableLength === 0) onCaughtUp();
  };
  subscription.on('caughtUp', () => {
    serverCaughtUp = true;
    reportWhenDrained();
  });
  subscription.on('fellBehind', () => {
    serverCaughtUp = false;
  });
  // The client emits errors without destroying the stream; destroying it hands the
  // error to the iterator even if it starts later, and an unheard error cannot crash the process.
  subscription.on('error', (error) => {
    if (!subscription.destroyed) subscription.destroy(error);
  });

  async function* events(): AsyncGenerator<RecordedEvent> {
    for await (const resolved of subscription as AsyncIterable<AllStreamResolvedEvent>) {
      const record = recordOf(resolved);
      // Exclusive on today's servers; checked so it stays so on any.
      if (!isSystemRecord(record) && isAfter(fromClientPosition(record.position), after)) yield toRecordedEvent(record);
      reportWhenDrained();
    }
  }

  return {
    events: events(),
    stop() {
      stopping ??= (async () => {
        try {
          await subscription.unsubscribe();
        } catch {
          // The call may never have opened; there is nothing to cancel then.
        }
        subscription.destroy();
      })();
      return stopping;
    },
  };
}
