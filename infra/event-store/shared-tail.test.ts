import { afterEach, describe, expect, it, vi } from 'vitest';
import { START_POSITION } from '../../domain/events/global-position.js';
import { newId } from '../../domain/shared/ids.js';
import { streamId } from '../../domain/shared/stream-id.js';
import { openPglite } from '../sql/pglite.js';
import { itemAdded } from '../../test/support/test-events.js';
import type { EventStore } from './port.js';
import { createPgliteEventStore, migratePgliteEventLog } from './sql/pglite-event-store.js';
import { appendToStream } from './sql/append.js';
import { createPgliteExecutor } from './sql/pglite-executor.js';
import { readAll } from './sql/read-all.js';
import { withSharedTail } from './shared-tail.js';

/**
 * Live subscribers of one store share their reads of the newest events. What each
 * receives must be exactly the log, in order, whatever the interleaving of appends
 * and reads; and the log's newest events are read once, not once per subscriber.
 */
describe('live subscribers sharing the tail of the log', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  async function storeCountingReads(pollIntervalMs?: number): Promise<{ store: EventStore; tailReads: () => number }> {
    const pglite = await openPglite();
    await migratePgliteEventLog(pglite);
    const query = vi.spyOn(pglite, 'query');
    // Unprepared, so each statement's text passes through `query`, where the reads are counted.
    const store = createPgliteEventStore(pglite, { ownsDatabase: true, pollIntervalMs, preparedStatements: false });
    closers.push(() => store.close());
    const tailReads = () => query.mock.calls.filter(([text]) => String(text).includes('pg_snapshot_xmin')).length;
    return { store, tailReads };
  }

  function follow(store: EventStore, from = START_POSITION) {
    const seen: string[] = [];
    const controller = new AbortController();
    const subscription = store.subscribeToAll({ after: from, signal: controller.signal });
    void (async () => {
      for await (const event of subscription) seen.push(event.id);
    })();
    closers.push(async () => {
      controller.abort();
      await subscription.close();
    });
    return seen;
  }

  it('gives every subscriber the whole log in order, with one tail read per commit rather than one per subscriber', async () => {
    const { store, tailReads } = await storeCountingReads();
    const subscribers = Array.from({ length: 6 }, () => follow(store));
    const appended: string[] = [];
    await vi.waitFor(() => expect(tailReads()).toBeGreaterThanOrEqual(6));
    const readsBefore = tailReads();

    const commits = 40;
    for (let index = 0; index < commits; index += 1) {
      const events = [itemAdded(`sku-${index}`), itemAdded(`sku-${index}-b`)];
      await store.appendToStream(streamId('cart', newId()), events);
      appended.push(...events.map((event) => event.id));
      if (index % 7 === 0) await new Promise((resolve) => setTimeout(resolve, 3));
    }
    await vi.waitFor(() => {
      for (const seen of subscribers) expect(seen).toHaveLength(appended.length);
    });
    for (const seen of subscribers) expect(seen).toEqual(appended);
    // Six subscribers reading alone would take at least six reads per commit.
    expect(tailReads() - readsBefore).toBeLessThanOrEqual(commits * 2);
  });

  it('reads the log once per commit when commits come one at a time: the read that found the end says so to every subscriber', async () => {
    // No safety-net poll during the test: every read counted is one a commit caused.
    const { store, tailReads } = await storeCountingReads(60_000);
    const subscribers = Array.from({ length: 3 }, () => follow(store));
    await vi.waitFor(() => expect(tailReads()).toBeGreaterThanOrEqual(3));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const readsBefore = tailReads();

    const commits = 10;
    const appended: string[] = [];
    for (let index = 0; index < commits; index += 1) {
      const event = itemAdded(`sku-${index}`);
      await store.appendToStream(streamId('cart', newId()), [event]);
      appended.push(event.id);
      await vi.waitFor(() => {
        for (const seen of subscribers) expect(seen).toHaveLength(appended.length);
      });
      // Whatever a subscriber reads next, it reads now, before the next commit.
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    for (const seen of subscribers) expect(seen).toEqual(appended);
    expect(tailReads() - readsBefore).toBe(commits);
  });

  it('serves a subscriber that starts behind the shared window from the log itself, then joins the others', async () => {
    const { store } = await storeCountingReads();
    const early = follow(store);
    const appended: string[] = [];
    for (let index = 0; index < 30; index += 1) {
      const event = itemAdded(`early-${index}`);
      await store.appendToStream(streamId('cart', newId()), [event]);
      appended.push(event.id);
    }
    await vi.waitFor(() => expect(early).toHaveLength(30));
    const late = follow(store);
    for (let index = 0; index < 10; index += 1) {
      const event = itemAdded(`late-${index}`);
      await store.appendToStream(streamId('cart', newId()), [event]);
      appended.push(event.id);
    }
    await vi.waitFor(() => expect(late).toHaveLength(40));
    expect(late).toEqual(appended);
    await vi.waitFor(() => expect(early).toEqual(appended));
  });

  it('answers a reader that woke by itself from the log, not from the end an earlier read found', async () => {
    const pglite = await openPglite();
    await migratePgliteEventLog(pglite);
    const executor = createPgliteExecutor(pglite, { ownsDatabase: true });
    closers.push(() => executor.close());
    // Commits made straight through the executor announce nothing, as after a lost notification.
    const commitUnannounced = async () => (await appendToStream(executor, streamId('cart', newId()), [itemAdded('sku')])).position;
    const tail = withSharedTail({ readAll: (options) => readAll(executor, options), listen: async () => async () => undefined });

    const first = await commitUnannounced();
    const seen = await tail.readAll({ after: START_POSITION, maxCount: 100 });
    expect(seen).toMatchObject({ events: [{ position: first }], isEnd: true });
    const second = await commitUnannounced();

    // Another reader behind the window, woken by the commit announcements that were made (none since), is told it is at the end…
    expect(await tail.readAll({ after: START_POSITION, maxCount: 100 })).toMatchObject({ events: [{ position: first }], isEnd: true });
    // …but one that woke by itself is sent on to the log, which holds the unannounced commit.
    const polled = await tail.readAll({ after: START_POSITION, maxCount: 100, unannounced: true });
    expect(polled).toMatchObject({ events: [{ position: first }], isEnd: false });
    const next = await tail.readAll({ after: first, maxCount: 100 });
    expect(next.events.map((event) => event.position)).toEqual([second]);
  });
});
