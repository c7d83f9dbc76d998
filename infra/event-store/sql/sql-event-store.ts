import type { EventStore } from '../port.js';
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
};

/** The event store over any SQL executor that speaks PostgreSQL: `pg` or PGlite. */
export function createSqlEventStore(executor: SqlExecutor, options: SqlEventStoreOptions = {}): EventStore {
  const settings: PolledSubscriptionSettings = {
    batchSize: options.batchSize ?? 500,
    pollIntervalMs: options.pollIntervalMs ?? 1_000,
    maxBlockedBackoffMs: options.maxBlockedBackoffMs ?? 100,
  };
  const localListeners = new Set<() => void>();
  const announceCommit = coalesced(
    options.announceCommits === 'local'
      ? () => {
          for (const listener of localListeners) listener();
        }
      : createCommitNotifier(executor),
    options.announceAfterMs ?? 0,
  );
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
      if (!result.alreadyAppended) announceCommit();
      return result;
    },
    appendToStreams: async (appends) => {
      const results = await appendToStreams(executor, appends);
      if (results.some((result) => !result.alreadyAppended)) announceCommit();
      return results;
    },
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
      await announceCommit.now();
      await executor.close();
    },
  };
}

/**
 * `announce` once `delayMs` after the first call not yet announced; `now` announces
 * what is pending at once and settles when the latest announcement has gone out.
 */
function coalesced(announce: () => unknown, delayMs: number): (() => void) & { now: () => Promise<unknown> } {
  let timer: NodeJS.Timeout | undefined;
  let latest: unknown;
  const send = () => {
    timer = undefined;
    latest = announce();
  };
  const now = async () => {
    if (timer !== undefined) {
      clearTimeout(timer);
      send();
    }
    await latest;
  };
  const schedule = () => {
    if (delayMs === 0) send();
    else timer ??= setTimeout(send, delayMs);
  };
  return Object.assign(schedule, { now });
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
