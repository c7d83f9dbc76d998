import type { AppendOptions, EventStore } from '../port.js';
import { createPolledSubscription, type PolledSubscriptionSettings } from '../polled-subscription.js';
import { withSharedTail } from '../shared-tail.js';
import { appendToStream, appendToStreams } from './append.js';
import { headPosition, readAll } from './read-all.js';
import { readStream } from './read-stream.js';
import type { SqlExecutor } from './sql-executor.js';

export const EVENTS_CHANNEL = 'tessera_events';

export type SqlEventStoreOptions = Partial<PolledSubscriptionSettings> & {
  /**
   * How commits wake subscribers: `notify` (PostgreSQL: NOTIFY after the commit reaches
   * every process, this one included) or `local` (PGlite: one process, so a direct call,
   * without a NOTIFY that would wake the same subscribers a second time).
   */
  announceCommits?: 'notify' | 'local';
  /**
   * Commits are announced this long after the first one not yet announced, together:
   * a busy process sends one NOTIFY, and every subscriber reads the tail once, per
   * interval rather than per commit, after the request that committed has been
   * answered rather than while. 0 announces each commit at once.
   */
  announceAfterMs?: number;
  /**
   * Commits appended `quietly` (no other process waits on them) are announced this
   * long after, unless an announcement due sooner carries them; `announceNow` sends
   * what waits at once. Defaults to `announceAfterMs`.
   */
  quietAnnounceAfterMs?: number;
};

/** The event store over any SQL executor that speaks PostgreSQL: `pg` or PGlite. */
export function createSqlEventStore(executor: SqlExecutor, options: SqlEventStoreOptions = {}): EventStore {
  const settings: PolledSubscriptionSettings = {
    batchSize: options.batchSize ?? 500,
    pollIntervalMs: options.pollIntervalMs ?? 1_000,
    maxBlockedBackoffMs: options.maxBlockedBackoffMs ?? 100,
  };
  const localListeners = new Set<() => void>();
  const announceAfterMs = options.announceAfterMs ?? 0;
  const announcements = createAnnouncer(
    options.announceCommits === 'local'
      ? () => {
          for (const listener of localListeners) listener();
        }
      : createCommitNotifier(executor),
  );
  const announceCommit = (announce: AppendOptions['announce']) =>
    announcements.within(announce === 'quietly' ? (options.quietAnnounceAfterMs ?? announceAfterMs) : announceAfterMs);
  const source = withSharedTail({
    readAll: (readOptions: Parameters<typeof readAll>[1]) => readAll(executor, readOptions),
    listen: async (onCommit: () => void) => {
      if (options.announceCommits === 'local') {
        localListeners.add(onCommit);
        return async () => void localListeners.delete(onCommit);
      }
      return executor.listen(EVENTS_CHANNEL, onCommit);
    },
  });
  return {
    appendToStream: async (streamId, events, appendOptions) => {
      const result = await appendToStream(executor, streamId, events, appendOptions);
      if (!result.alreadyAppended) announceCommit(appendOptions?.announce);
      return result;
    },
    appendToStreams: async (appends, appendOptions) => {
      const results = await appendToStreams(executor, appends);
      if (results.some((result) => !result.alreadyAppended)) announceCommit(appendOptions?.announce);
      return results;
    },
    announceNow: () => void announcements.now(),
    readStream: (streamId, readOptions) => readStream(executor, streamId, readOptions),
    readAll: async (readOptions) => {
      const { blocked: _blocked, ...result } = await readAll(executor, readOptions);
      return result;
    },
    subscribeToAll: (subscribeOptions) => createPolledSubscription(source, subscribeOptions, settings),
    headPosition: () => headPosition(executor),
    countEvents: async () => {
      const [row] = await executor.query<{ count: string }>('select count(*)::text as count from tessera_events');
      return Number(row?.count ?? 0);
    },
    close: async () => {
      await announcements.now();
      await executor.close();
    },
  };
}

/**
 * One `announce` for every commit not yet announced: `within(delayMs)` has it go at
 * the latest `delayMs` from now (an announcement already due sooner carries this
 * commit too); `now` sends what is pending at once and settles when the latest
 * announcement has gone out.
 */
function createAnnouncer(announce: () => unknown): { within: (delayMs: number) => void; now: () => Promise<unknown> } {
  let timer: NodeJS.Timeout | undefined;
  let dueAt = Number.POSITIVE_INFINITY;
  let latest: unknown;
  const send = () => {
    clearTimeout(timer);
    timer = undefined;
    dueAt = Number.POSITIVE_INFINITY;
    latest = announce();
  };
  return {
    within(delayMs) {
      if (delayMs === 0) return send();
      const due = performance.now() + delayMs;
      if (due >= dueAt) return;
      clearTimeout(timer);
      dueAt = due;
      timer = setTimeout(send, delayMs);
    },
    async now() {
      if (timer !== undefined) send();
      await latest;
    },
  };
}

/**
 * NOTIFY after the commit, coalesced: at most one in flight, one more if commits
 * arrived while it was. Inside the append it would take a server-wide lock until the
 * commit is flushed. A crash between commit and NOTIFY delays readers by one poll.
 */
function createCommitNotifier(executor: SqlExecutor): () => Promise<void> {
  let inFlight: Promise<void> | undefined;
  /** The round after the one in flight, which every commit announced meanwhile joins. */
  let nextRound: Promise<void> | undefined;
  const notify = (): Promise<void> => {
    if (inFlight) {
      return (nextRound ??= inFlight.then(() => {
        nextRound = undefined;
        return notify();
      }));
    }
    const sent = executor
      .query(`select pg_notify('${EVENTS_CHANNEL}', '')`)
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => {
        inFlight = undefined;
      });
    inFlight = sent;
    return sent;
  };
  return notify;
}
