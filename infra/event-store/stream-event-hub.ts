import type { StreamEvent } from '../../domain/events/envelope.js';
import { toStreamId } from '../../domain/shared/stream-id.js';
import type { AppendListener } from './append-observer.js';
import type { EventStore } from './port.js';

export interface StreamEventHub {
  /**
   * Calls `listener` with the events of `streamId`, in revision order and each once,
   * until `stop`. The first events passed may be ones the stream held before `listen`:
   * listeners skip what they have already seen.
   */
  listen(streamId: string, listener: (event: StreamEvent) => void): StreamFollower;
  close(): Promise<void>;
}

/** Its functions use no `this`, so they may be passed around on their own. */
export interface StreamFollower {
  stop: () => void;
  /**
   * This listener has read the stream itself up to `revision`: while it is the stream's
   * only listener, the hub goes on from there instead of reading those events again for
   * it. Ignored while others listen too, since they may still be owed them.
   */
  readUpTo: (revision: number) => void;
}

const RETRY_READ_MS = 200;

interface FollowedStream {
  listeners: Set<(event: StreamEvent) => void>;
  /** Highest revision passed to the listeners. */
  delivered: number;
  reading: boolean;
  readAgain: boolean;
}

/**
 * One live subscription per process, fanned out by stream: a thousand clients
 * following a thousand turns cost one reader of the log, not a thousand. What this
 * process appends to a stream is passed on as the append wrote it (or the stream is
 * read at once, when the append could not say); `$all` brings what other processes append. Either way a followed stream is read in revision
 * order from where its listeners are, so the two sources never reorder it.
 */
export async function startStreamEventHub(
  store: EventStore,
  onError: (error: unknown) => void,
  localAppends?: (listener: AppendListener) => () => void,
): Promise<StreamEventHub> {
  const streams = new Map<string, FollowedStream>();

  const deliver = (followed: FollowedStream, event: StreamEvent) => {
    followed.delivered = event.revision;
    for (const listener of followed.listeners) {
      try {
        listener(event);
      } catch (error) {
        onError(error);
      }
    }
  };

  const catchUp = async (streamId: string, followed: FollowedStream) => {
    followed.reading = true;
    try {
      do {
        followed.readAgain = false;
        const { events } = await store.readStream(toStreamId(streamId), { fromRevision: followed.delivered + 1 });
        for (const event of events) if (event.revision > followed.delivered) deliver(followed, event);
      } while (followed.readAgain && streams.get(streamId) === followed);
    } catch (error) {
      onError(error);
      // Read again shortly: the event missed may be the stream's last, and nothing else would announce it.
      setTimeout(() => changed(streamId), RETRY_READ_MS).unref();
    } finally {
      followed.reading = false;
    }
  };

  const changed = (streamId: string) => {
    const followed = streams.get(streamId);
    if (!followed) return;
    if (followed.reading) followed.readAgain = true;
    else void catchUp(streamId, followed);
  };

  /** What this process appended, passed on as written when it is next in line: no read of the stream back. */
  const appended = (streamId: string, written?: readonly StreamEvent[]) => {
    const followed = streams.get(streamId);
    if (!followed) return;
    const unseen = written?.filter((event) => event.revision > followed.delivered);
    if (unseen?.length === 0) return;
    if (unseen && !followed.reading && unseen[0]!.revision === followed.delivered + 1) {
      for (const event of unseen) deliver(followed, event);
    } else {
      changed(streamId);
    }
  };

  const stopLocal = localAppends?.(appended);
  const subscription = store.subscribeToAll({ after: await store.headPosition(), onError });
  const pump = (async () => {
    for await (const event of subscription) {
      const followed = streams.get(event.streamId);
      if (!followed || event.revision <= followed.delivered) continue;
      if (event.revision === followed.delivered + 1 && !followed.reading) deliver(followed, event);
      else changed(event.streamId);
    }
  })();
  return {
    listen(streamId, listener) {
      let followed = streams.get(streamId);
      if (!followed) {
        followed = { listeners: new Set(), delivered: -1, reading: false, readAgain: false };
        streams.set(streamId, followed);
      }
      const current = followed;
      current.listeners.add(listener);
      return {
        stop() {
          current.listeners.delete(listener);
          if (current.listeners.size === 0 && streams.get(streamId) === current) streams.delete(streamId);
        },
        readUpTo(revision) {
          const alone = current.listeners.size === 1 && current.listeners.has(listener);
          if (alone && !current.reading && current.delivered < revision) current.delivered = revision;
        },
      };
    },
    async close() {
      stopLocal?.();
      await subscription.close();
      await pump;
    },
  };
}
