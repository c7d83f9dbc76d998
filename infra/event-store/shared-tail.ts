import type { RecordedEvent } from '../../domain/events/envelope.js';
import { isAfter, type GlobalPosition } from '../../domain/events/global-position.js';
import type { PolledSubscriptionSource } from './polled-subscription.js';

type Batch = Awaited<ReturnType<PolledSubscriptionSource['readAll']>>;

/**
 * Every live subscriber of a process (each projection, the forwarder, the turn hub)
 * wants the same newest events right after each commit. This source reads them once
 * and serves all of them from a window of the most recent events; a subscriber behind
 * the window (catching up) reads the log itself.
 *
 * The window only ever grows by a read that starts at its end, and `readAll` never
 * skips an event, so the window holds every event between its ends. A read joins a
 * shared read already under way only if that read began after the latest commit
 * announcement, so nobody is told "nothing new" by a read older than the news.
 */
export function withSharedTail(source: PolledSubscriptionSource, capacity = 2_048): PolledSubscriptionSource {
  let window: RecordedEvent[] = [];
  /** The position just before the window's first event; undefined until a live reader sets it. */
  let windowStart: GlobalPosition | undefined;
  /** The position of the window's last event (or its start when empty): shared reads begin here. */
  let windowEnd: GlobalPosition | undefined;
  let endBlocked = false;
  /**
   * The read that set `windowEnd` found nothing past it, and began after announcement
   * `endAnnouncement`: until another commit is announced, a subscriber served up to the
   * window's end is at the end of the log, and needs no read of its own to learn so.
   */
  let endReached = false;
  let endAnnouncement = -1;
  let announcements = 0;
  let headRead: { announcement: number; done: Promise<void> } | undefined;
  // Started by the first live subscriber, so a store that never subscribes opens no listener.
  let listening: Promise<unknown> | undefined;
  const countAnnouncements = () => (listening ??= source.listen(() => (announcements += 1)));

  const readHead = (maxCount: number): Promise<void> => {
    if (headRead && headRead.announcement === announcements) return headRead.done;
    const previous = headRead?.done.catch(() => undefined) ?? Promise.resolve();
    const announcement = announcements;
    const done = previous.then(async () => {
      // Head reads run one after another, so the end each starts from is still the end when it lands.
      const batch = await source.readAll({ after: windowEnd!, maxCount });
      window.push(...batch.events);
      windowEnd = batch.lastPosition;
      markEnd(batch, announcement);
      if (window.length > capacity) windowStart = window.splice(0, window.length - capacity).at(-1)!.position;
    });
    const read = { announcement, done };
    headRead = read;
    const forget = () => {
      if (headRead === read) headRead = undefined;
    };
    done.then(forget, forget);
    return done;
  };

  const markEnd = (batch: Batch, announcement: number) => {
    endBlocked = batch.blocked === true;
    endReached = batch.isEnd;
    endAnnouncement = announcement;
  };

  const fromWindow = (after: GlobalPosition, maxCount: number): Batch | undefined => {
    if (windowStart === undefined || windowEnd === undefined) return undefined;
    if (isAfter(windowStart, after) || !isAfter(windowEnd, after)) return undefined;
    const first = firstAfter(window, after);
    const events = window.slice(first, first + maxCount);
    const atEnd = first + events.length === window.length && endReached && endAnnouncement === announcements;
    return { events, lastPosition: events.at(-1)!.position, isEnd: atEnd, ...(atEnd && endBlocked ? { blocked: true } : {}) };
  };

  /** A reader that reached the end outside the window moves the window there, when no shared read is under way. */
  const resetWindow = (after: GlobalPosition, batch: Batch, announcement: number) => {
    if (!batch.isEnd || headRead) return;
    if (windowEnd !== undefined && !isAfter(after, windowEnd)) return;
    windowStart = after;
    window = [...batch.events];
    windowEnd = batch.lastPosition;
    markEnd(batch, announcement);
  };

  return {
    async readAll({ after, maxCount, unannounced }) {
      // A reader that woke by itself (its safety-net poll) may be after a commit nobody announced:
      // counted as an announcement, it makes every earlier read's end stale.
      if (unannounced) announcements += 1;
      const cached = fromWindow(after, maxCount);
      if (cached) return cached;
      if (windowEnd === undefined || after !== windowEnd) {
        const announcement = announcements;
        const batch = await source.readAll({ after, maxCount });
        resetWindow(after, batch, announcement);
        return batch;
      }
      await readHead(maxCount);
      const served = fromWindow(after, maxCount);
      if (served) return served;
      // Head reads chained while this one waited can push its position out of the window.
      if (windowStart !== undefined && isAfter(windowStart, after)) return source.readAll({ after, maxCount });
      return { events: [], lastPosition: after, isEnd: true, blocked: endBlocked };
    },
    listen: async (onCommit) => {
      // The window's count of announcements must move before any subscriber wakes to read.
      await countAnnouncements();
      return source.listen(onCommit);
    },
  };
}

/** Index of the first event after `position` in a window ordered by position (binary search: the window holds thousands). */
function firstAfter(window: readonly RecordedEvent[], position: GlobalPosition): number {
  let low = 0;
  let high = window.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (isAfter(window[middle]!.position, position)) high = middle;
    else low = middle + 1;
  }
  return low;
}
