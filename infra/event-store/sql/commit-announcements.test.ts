import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../../domain/events/envelope.js';
import { START_POSITION } from '../../../domain/events/global-position.js';
import { newId } from '../../../domain/shared/ids.js';
import { streamId } from '../../../domain/shared/stream-id.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/postgres-database.js';
import { itemAdded } from '../../../test/support/test-events.js';
import { createPostgresEventStore, migratePostgresEventLog } from './postgres-event-store.js';
import { EVENTS_CHANNEL } from './sql-event-store.js';

/** Commits announced together: one NOTIFY per interval, seen by another process's LISTEN. */
describe('commit announcements on PostgreSQL', () => {
  let database: TestDatabase;
  let listener: pg.Client;
  let notifications = 0;

  beforeAll(async () => {
    database = await createTestDatabase();
    await migratePostgresEventLog(database.url);
    listener = new pg.Client({ connectionString: database.url });
    await listener.connect();
    listener.on('notification', (message) => {
      if (message.channel === EVENTS_CHANNEL) notifications += 1;
    });
    await listener.query(`listen ${EVENTS_CHANNEL}`);
  });
  afterAll(async () => {
    await listener.end();
    await database.drop();
  });

  const settle = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));
  /** A read held back by another test file's open transaction can find the events before any NOTIFY: wait for it. */
  const notified = async (count: number) => {
    for (const deadline = Date.now() + 5_000; notifications < count && Date.now() < deadline; ) await settle(10);
  };
  /** Counting starts once an earlier test's last NOTIFY has surely arrived. */
  const startCounting = async () => {
    await settle(200);
    notifications = 0;
  };
  const storeAnnouncingAfter = (announceAfterMs: number, quietAnnounceAfterMs?: number) =>
    createPostgresEventStore(new pg.Pool({ connectionString: database.url, max: 2 }), { ownsPool: true, announceAfterMs, quietAnnounceAfterMs, pollIntervalMs: 60_000 });

  it('sends one NOTIFY for commits inside the interval, and wakes subscribers to every event', async () => {
    const store = storeAnnouncingAfter(1_000);
    const seen: RecordedEvent[] = [];
    const subscription = store.subscribeToAll({ after: await store.headPosition() });
    const reading = (async () => {
      for await (const event of subscription) if (seen.push(event) === 5) return;
    })();
    await startCounting();
    const stream = streamId('cart', newId());
    for (let index = 0; index < 5; index += 1) await store.appendToStream(stream, [itemAdded(`sku-${index}`)]);
    await reading;
    await subscription.close();
    expect(seen.map((event) => (event.data as { sku: string }).sku)).toEqual(['sku-0', 'sku-1', 'sku-2', 'sku-3', 'sku-4']);
    await notified(1);
    await settle(300);
    expect(notifications).toBe(1);
    await store.close();
  });

  it('announces each commit when the interval is 0', async () => {
    const store = storeAnnouncingAfter(0);
    await startCounting();
    const stream = streamId('cart', newId());
    for (let index = 0; index < 3; index += 1) {
      await store.appendToStream(stream, [itemAdded(`sku-${index}`)]);
      await notified(index + 1);
    }
    await settle(100);
    expect(notifications).toBe(3);
    await store.close();
  });

  it('announces a quiet commit after its own interval, sooner with a prompt commit or when asked', async () => {
    const store = storeAnnouncingAfter(50, 60_000);
    await startCounting();
    const stream = streamId('cart', newId());
    await store.appendToStream(stream, [itemAdded('quiet')], { announce: 'quietly' });
    await store.appendToStreams!([{ streamId: streamId('cart', newId()), events: [itemAdded('quiet too')] }], { announce: 'quietly' });
    await settle(300);
    expect(notifications).toBe(0);
    // A prompt commit's announcement carries the quiet ones before it.
    await store.appendToStream(stream, [itemAdded('prompt')]);
    await notified(1);
    await settle(300);
    expect(notifications).toBe(1);

    await store.appendToStream(stream, [itemAdded('quiet again')], { announce: 'quietly' });
    await settle(100);
    expect(notifications).toBe(1);
    store.announceNow!();
    await notified(2);
    await settle(100);
    expect(notifications).toBe(2);
    await store.close();
    await settle(100);
    expect(notifications).toBe(2);
  });

  it('announces what is pending when the store closes, rather than dropping it', async () => {
    const store = storeAnnouncingAfter(60_000);
    await startCounting();
    await store.appendToStream(streamId('cart', newId()), [itemAdded('sku')]);
    await settle(100);
    expect(notifications).toBe(0);
    await store.close();
    await notified(1);
    await settle(100);
    expect(notifications).toBe(1);
    expect((await readEverything()).length).toBeGreaterThan(0);
  });

  async function readEverything() {
    const reader = storeAnnouncingAfter(0);
    try {
      return (await reader.readAll({ after: START_POSITION, maxCount: 1_000 })).events;
    } finally {
      await reader.close();
    }
  }
});
