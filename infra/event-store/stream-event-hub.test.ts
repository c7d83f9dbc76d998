import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { StreamEvent } from '../../domain/events/envelope.js';
import { newId } from '../../domain/shared/ids.js';
import { streamId } from '../../domain/shared/stream-id.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres-database.js';
import { itemAdded } from '../../test/support/test-events.js';
import { observeAppends, type ObservedEventStore } from './append-observer.js';
import type { EventStore } from './port.js';
import { createPostgresEventStore, migratePostgresEventLog } from './sql/postgres-event-store.js';
import { startStreamEventHub, type StreamEventHub } from './stream-event-hub.js';

/**
 * The hub passes each followed stream's events in revision order, once each: those
 * appended in this process as soon as they commit, those of other processes when
 * `$all` brings them, even while a transaction elsewhere holds `$all` back.
 */
describe('the stream event hub', () => {
  let database: TestDatabase;
  let here: ObservedEventStore;
  let otherProcess: EventStore;
  let hub: StreamEventHub;
  let blocker: pg.Client;

  beforeAll(async () => {
    database = await createTestDatabase();
    await migratePostgresEventLog(database.url);
    here = observeAppends(createPostgresEventStore(new pg.Pool({ connectionString: database.url, max: 4 }), { ownsPool: true }));
    otherProcess = createPostgresEventStore(new pg.Pool({ connectionString: database.url, max: 2 }), { ownsPool: true });
    hub = await startStreamEventHub(here.store, (error) => expect.fail(String(error)), here.onAppended);
    blocker = new pg.Client({ connectionString: database.url });
    await blocker.connect();
  });
  afterAll(async () => {
    await blocker?.end();
    await hub?.close();
    await here?.store.close();
    await otherProcess?.close();
    await database?.drop();
  });

  const follow = (stream: string) => {
    const received: StreamEvent[] = [];
    const follower = hub.listen(stream, (event) => received.push(event));
    return { received, stop: follower.stop, readUpTo: follower.readUpTo };
  };

  it('passes this process\'s appends at once, even while an open transaction holds $all back', async () => {
    const stream = streamId('cart', newId());
    const followed = follow(stream);
    // An open transaction with an xid keeps every later commit out of the gap-free $all.
    await blocker.query('begin');
    await blocker.query("select pg_current_xact_id()");
    try {
      for (let round = 0; round < 5; round += 1) await here.store.appendToStream(stream, [itemAdded(`sku-${round}`), itemAdded(`sku-${round}-b`)]);
      await vi.waitFor(() => expect(followed.received).toHaveLength(10), { timeout: 2_000, interval: 5 });
    } finally {
      await blocker.query('rollback');
    }
    expect(followed.received.map((event) => event.revision)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // $all delivers the same events later: none is passed twice.
    expect(followed.received).toHaveLength(10);
    followed.stop();
  });

  it('passes this process\'s appends on as written, without reading the stream back', async () => {
    const stream = streamId('cart', newId());
    const other = streamId('cart', newId());
    const followed = follow(stream);
    const reads = vi.spyOn(here.store, 'readStream');
    try {
      await here.store.appendToStream(stream, [itemAdded('a'), itemAdded('b')], { expectedRevision: 'no_stream' });
      await here.store.appendToStreams!([
        { streamId: other, events: [itemAdded('elsewhere')] },
        { streamId: stream, events: [itemAdded('c')], expectedRevision: 1 },
      ]);
      expect(followed.received.map((event) => event.revision)).toEqual([0, 1, 2]);
      expect(reads).not.toHaveBeenCalled();
    } finally {
      reads.mockRestore();
    }
    // An event can also reach the hub through `$all` first (a tail read already under way when
    // it committed), with its position; what matters is that the content is the stored one.
    const withoutPosition = (events: readonly StreamEvent[]) => events.map((event) => ({ ...event, position: undefined }));
    expect(withoutPosition(followed.received)).toEqual(withoutPosition((await here.store.readStream(stream)).events));
    followed.stop();
  });

  it('goes on from where a stream\'s one listener read it itself, but not while others may be owed those events', async () => {
    const stream = streamId('cart', newId());
    await here.store.appendToStream(stream, [itemAdded('a'), itemAdded('b')]);
    const alone = follow(stream);
    const reads = vi.spyOn(here.store, 'readStream');
    try {
      alone.readUpTo(1);
      await here.store.appendToStream(stream, [itemAdded('c')], { expectedRevision: 1 });
      expect(alone.received.map((event) => event.revision)).toEqual([2]);
      expect(reads).not.toHaveBeenCalled();

      // One of two listeners having read revision 3 says nothing of the other: both are passed it.
      const second = follow(stream);
      alone.readUpTo(3);
      await here.store.appendToStream(stream, [itemAdded('d')], { expectedRevision: 2 });
      expect(alone.received.map((event) => event.revision)).toEqual([2, 3]);
      expect(second.received.map((event) => event.revision)).toEqual([3]);
      second.stop();
    } finally {
      reads.mockRestore();
    }
    alone.stop();
  });

  it('passes another process\'s appends through $all, in order, interleaved with its own', async () => {
    const stream = streamId('cart', newId());
    const followed = follow(stream);
    for (let round = 0; round < 6; round += 1) {
      const writer = round % 2 === 0 ? here.store : otherProcess;
      await writer.appendToStream(stream, [itemAdded(`sku-${round}`)]);
    }
    await vi.waitFor(() => expect(followed.received).toHaveLength(6), { timeout: 5_000, interval: 5 });
    expect(followed.received.map((event) => event.revision)).toEqual([0, 1, 2, 3, 4, 5]);
    followed.stop();
  });
});
