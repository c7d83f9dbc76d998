import { KurrentDBClient } from '@kurrent/kurrentdb-client';
import type { AllSubscription, EventStore } from '../port.js';
import { appendToStream } from './append-to-stream.js';
import { headPosition } from './head-position.js';
import { readAll } from './read-all.js';
import { readStream } from './read-stream.js';
import { subscribeToAll } from './subscribe-to-all.js';

export interface KurrentDbEventStoreOptions {
  /** Dispose the client on close(): true when the store was handed a client made for it alone. Defaults to false. */
  ownsClient?: boolean;
  /**
   * How many of a stream's last events an append searches for its event ids before
   * writing (see kurrentDbQuirks). Larger catches older retries and costs a bigger read
   * per append. Defaults to 1,000; at least the last event is always read.
   */
  idempotencyWindow?: number;
}

const DEFAULT_IDEMPOTENCY_WINDOW = 1_000;

/** The event store port on KurrentDB (EventStoreDB's successor), server 23.10 or later. */
export function createKurrentDbEventStore(client: KurrentDBClient, options: KurrentDbEventStoreOptions = {}): EventStore {
  const settings = { idempotencyWindow: options.idempotencyWindow ?? DEFAULT_IDEMPOTENCY_WINDOW };
  const subscriptions = new Set<AllSubscription>();
  let closing: Promise<void> | undefined;

  return {
    appendToStream: (streamId, events, appendOptions = {}) => appendToStream(client, streamId, events, appendOptions, settings),

    readStream: (streamId, readOptions) => readStream(client, streamId, readOptions),

    readAll: (readOptions) => readAll(client, readOptions),

    headPosition: () => headPosition(client),

    subscribeToAll(subscribeOptions) {
      const subscription = subscribeToAll(client, subscribeOptions, () => subscriptions.delete(subscription));
      subscriptions.add(subscription);
      return subscription;
    },

    close() {
      closing ??= (async () => {
        await Promise.all([...subscriptions].map((subscription) => subscription.close()));
        if (options.ownsClient) await client.dispose();
      })();
      return closing;
    },
  };
}

/** A store on its own client for `connectionString` (kurrentdb://…), disposed when the store closes. */
export function connectKurrentDbEventStore(
  connectionString: string,
  options: Omit<KurrentDbEventStoreOptions, 'ownsClient'> = {},
): EventStore {
  return createKurrentDbEventStore(KurrentDBClient.connectionString(connectionString), { ...options, ownsClient: true });
}
