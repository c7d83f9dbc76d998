import type { StreamEvent } from '../../domain/events/envelope.js';
import type { GlobalPosition } from '../../domain/events/global-position.js';
import type { EventStore } from './port.js';

/** Told the stream an append of this process committed to, what it wrote when the store says, and where it ended in `$all`. */
export type AppendListener = (streamId: string, written: readonly StreamEvent[] | undefined, position: GlobalPosition) => void;

export interface ObservedEventStore {
  store: EventStore;
  /** Calls `listener` after each append of this process commits; returns the unsubscribe function. */
  onAppended: (listener: AppendListener) => () => void;
}

/**
 * The store, telling listeners in this process which stream it just appended to. A
 * reader of one stream (a client following its turn) can then read it at once,
 * instead of waiting for `$all`, which holds back every event behind the oldest
 * transaction open anywhere on the server.
 */
export function observeAppends(store: EventStore): ObservedEventStore {
  const listeners = new Set<AppendListener>();
  return {
    store: {
      ...store,
      async appendToStream(streamId, events, options) {
        const result = await store.appendToStream(streamId, events, options);
        for (const listener of listeners) listener(streamId, result.written, result.position);
        return result;
      },
      appendToStreams: store.appendToStreams
        ? async (appends, options) => {
            const results = await store.appendToStreams!(appends, options);
            appends.forEach((append, index) => {
              const result = results[index]!;
              for (const listener of listeners) listener(append.streamId, result.written, result.position);
            });
            return results;
          }
        : undefined,
    },
    onAppended(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
