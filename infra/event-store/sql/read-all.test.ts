import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { positionParts, START_POSITION, type GlobalPosition } from '../../../domain/events/global-position.js';
import { newId } from '../../../domain/shared/ids.js';
import { streamId } from '../../../domain/shared/stream-id.js';
import { executorOnClient } from '../../../test/support/client-executor.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/postgres-database.js';
import { itemAdded } from '../../../test/support/test-events.js';
import { appendToStream } from './append.js';
import { migratePostgresEventLog } from './postgres-event-store.js';
import { createPostgresExecutor } from './postgres-executor.js';
import { READ_ALL_STATEMENT, readAll } from './read-all.js';
import type { SqlExecutor } from './sql-executor.js';

describe('readAll on PostgreSQL', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let executor: SqlExecutor;

  beforeAll(async () => {
    database = await createTestDatabase();
    await migratePostgresEventLog(database.url);
    pool = new pg.Pool({ connectionString: database.url, max: 4 });
    executor = createPostgresExecutor(pool);
  });
  afterAll(async () => {
    await executor.close();
    await pool.end();
    await database.drop();
  });

  const append = (on: SqlExecutor = executor) => appendToStream(on, streamId('cart', newId()), [itemAdded('sku')]);

  /**
   * The horizon is the whole server's: a test file writing in another database can hold
   * this log's newest events back for a moment, so a read expected to see everything
   * waits until nothing is blocked.
   */
  const readSettled = async (after: GlobalPosition) => {
    let read = await readAll(executor, { after });
    for (const deadline = Date.now() + 10_000; read.blocked && Date.now() < deadline; read = await readAll(executor, { after })) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return read;
  };

  it('holds back a commit behind an open transaction and says so, then delivers both in order', async () => {
    const before = await readSettled(START_POSITION);
    const after = before.lastPosition;
    const open = await pool.connect();
    try {
      await open.query('begin');
      const early = await append(executorOnClient(open));
      const late = await append();

      const waiting = await readAll(executor, { after });
      expect(waiting.events).toEqual([]);
      expect(waiting.blocked).toBe(true);

      await open.query('commit');
      const delivered = await readSettled(after);
      expect(delivered.events.map((event) => event.position)).toEqual([early.position, late.position]);
      expect(delivered.blocked).toBe(false);
    } finally {
      open.release();
    }
  });

  it('is not blocked when everything past the cursor is readable, nor when nothing is past it', async () => {
    const start = (await readSettled(START_POSITION)).lastPosition;
    await append();
    const read = await readSettled(start);
    expect(read.events).toHaveLength(1);
    expect(read.blocked).toBe(false);
    const atEnd = await readSettled(read.lastPosition);
    expect(atEnd).toMatchObject({ events: [], blocked: false, isEnd: true });
  });

  it('reads the tail of a log that was never analyzed without scanning the whole log', async () => {
    await pool.query('alter table tessera_events set (autovacuum_enabled = false)');
    await pool.query(`
      insert into tessera_events (event_id, stream_id, stream_revision, event_type, data, metadata, occurred_at)
      select gen_random_uuid(), 'bulk-' || n, 0, 'ItemAdded', '{"sku":"s","quantity":1}', '{}', now()
        from generate_series(1, 20000) n`);
    await pool.query(`delete from pg_statistic where starelid = 'tessera_events'::regclass`);
    const tail = (await readAll(executor, { after: START_POSITION, maxCount: 100_000 })).lastPosition;
    const { commit, prepare } = positionParts(tail);
    const plan = (await pool.query<{ 'QUERY PLAN': string }>(`explain ${READ_ALL_STATEMENT}`, [commit.toString(), prepare.toString(), 500])).rows;
    expect(plan.map((row) => row['QUERY PLAN']).join('\n')).not.toMatch(/Seq Scan/);

    // The store sends it as a prepared statement, which PostgreSQL may run with one generic plan.
    // A connection of its own: the store's pool keeps track of what it prepared on its connections.
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await client.query('set plan_cache_mode = force_generic_plan');
      await client.query(`prepare tail_read(text, bigint, integer) as ${READ_ALL_STATEMENT}`);
      const generic = (await client.query<{ 'QUERY PLAN': string }>(`explain execute tail_read('${commit}', ${prepare}, 500)`)).rows;
      expect(generic.map((row) => row['QUERY PLAN']).join('\n')).not.toMatch(/Seq Scan/);
    } finally {
      await client.end();
    }
  });
});
