import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../domain/events/envelope.js';
import { START_POSITION } from '../../domain/events/global-position.js';
import { newId } from '../../domain/shared/ids.js';
import { streamId } from '../../domain/shared/stream-id.js';
import type { EventStore } from '../../infra/event-store/port.js';
import { appendToStream } from '../../infra/event-store/sql/append.js';
import { createPostgresEventStore, migratePostgresEventLog } from '../../infra/event-store/sql/postgres-event-store.js';
import { executorOnClient } from '../support/client-executor.js';
import { collectUntil } from '../support/collect.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres-database.js';
import { itemAdded } from '../support/test-events.js';

/**
 * Transactions that take their place in the log and then sleep before committing:
 * the gap-free reader must still deliver every event once and in order, while a
 * reader that trusts the sequence alone skips the late ones.
 */
describe('late commits (PostgreSQL)', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let store: EventStore;

  beforeAll(async () => {
    database = await createTestDatabase();
    await migratePostgresEventLog(database.url);
    pool = new pg.Pool({ connectionString: database.url, max: 30 });
    store = createPostgresEventStore(pool);
  });
  afterAll(async () => {
    await store.close();
    await pool.end();
    await database.drop();
  });

  /** Appends through the store's own statement inside a transaction that sleeps before COMMIT. */
  async function appendThenSleep(sku: string, sleepMs: number, appended: () => void = () => undefined) {
    const client = await pool.connect();
    try {
      await client.query('begin');
      const event = itemAdded(sku);
      await appendToStream(executorOnClient(client), streamId('cart', newId()), [event]);
      appended();
      await client.query('select pg_sleep($1::float8 / 1000)', [sleepMs]);
      await client.query('commit');
      return event.id;
    } finally {
      client.release();
    }
  }

  /** Follows the log by global_position alone: the naive design this store avoids. */
  function startNaiveReader(after: number) {
    const seen: string[] = [];
    let last = after;
    let running = true;
    const loop = (async () => {
      while (running) {
        const { rows } = await pool.query<{ id: string; position: string }>(
          'select event_id::text as id, global_position::text as position from tessera_events where global_position > $1 order by global_position',
          [last],
        );
        for (const row of rows) {
          seen.push(row.id);
          last = Number(row.position);
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    return { seen, stop: async () => ((running = false), await loop) };
  }

  async function currentEnd() {
    const { rows } = await pool.query<{ last: string }>('select coalesce(max(global_position), 0)::text as last from tessera_events');
    let position = START_POSITION;
    for (;;) {
      const batch = await store.readAll({ after: position });
      position = batch.lastPosition;
      if (batch.isEnd) return { position, sequence: Number(rows[0]?.last ?? 0) };
    }
  }

  it('delivers a late commit that the sequence-only reader skips', async () => {
    const end = await currentEnd();
    const subscription = store.subscribeToAll({ after: end.position });
    const naive = startNaiveReader(end.sequence);
    let lateTookItsPlace!: () => void;
    const placeTaken = new Promise<void>((resolve) => (lateTookItsPlace = resolve));
    const late = appendThenSleep('late', 400, lateTookItsPlace);
    await placeTaken;
    const early = itemAdded('early');
    await store.appendToStream(streamId('cart', newId()), [early]);
    const lateId = await late;

    const delivered = await collectUntil(subscription, (seen) => seen.length === 2);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await naive.stop();
    await subscription.close();

    expect(delivered.map((event) => event.id)).toEqual([lateId, early.id]);
    expect(naive.seen).toContain(early.id);
    expect(naive.seen).not.toContain(lateId);
  });

  it('never skips, repeats or reorders events whatever the commit delays', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 120 }), { minLength: 2, maxLength: 12 }), async (sleeps) => {
        const end = await currentEnd();
        const subscription = store.subscribeToAll({ after: end.position });
        const ids = await Promise.all(sleeps.map((sleepMs, i) => appendThenSleep(`w${i}`, sleepMs)));
        const delivered: RecordedEvent[] = await collectUntil(subscription, (seen) => seen.length >= ids.length);
        await subscription.close();
        expect(new Set(delivered.map((event) => event.id))).toEqual(new Set(ids));
        expect(delivered).toHaveLength(ids.length);
        const positions = delivered.map((event) => event.position);
        expect([...positions].sort()).toEqual(positions);
        const replayed = await store.readAll({ after: end.position });
        expect(replayed.events.map((event) => event.id)).toEqual(delivered.map((event) => event.id));
      }),
      { numRuns: 8 },
    );
  });
});
