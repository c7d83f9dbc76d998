import type { RecordedEvent } from '../../domain/events/envelope.js';
import type { EventStore } from './port.js';

export interface StreamEventHub {
  /** Calls `listener` with each new event of `streamId` until the returned function is called. */
  listen(streamId: string, listener: (event: RecordedEvent) => void): () => void;
  close(): Promise<void>;
}

/**
 * One live subscription per process, fanned out by stream: a thousand clients
 * following a thousand turns cost one reader of the log, not a thousand.
 */
export async function startStreamEventHub(store: EventStore, onError: (error: unknown) => void): Promise<StreamEventHub> {
  const listeners = new Map<string, Set<(event: RecordedEvent) => void>>();
  const subscription = store.subscribeToAll({ after: await store.headPosition(), onError });
  const pump = (async () => {
    for await (const event of subscription) {
      const forStream = listeners.get(event.streamId);
      if (!forStream) continue;
      for (const listener of forStream) {
        try {
          listener(event);
        } catch (error) {
          onError(error);
        }
      }
    }
  })();
  return {
    listen(streamId, listener) {
      let forStream = listeners.get(streamId);
      if (!forStream) {
        forStream = new Set();
        listeners.set(streamId, forStream);
      }
      forStream.add(listener);
      return () => {
        forStream.delete(listener);
        if (forStream.size === 0) listeners.delete(streamId);
      };
    },
    async close() {
      await subscription.close();
      await pump;
    },
  };
}
