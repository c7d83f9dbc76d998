import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlBackends, type SqlBackend } from '../../test/support/sql-backends.js';
import { projectionTransaction } from './projection-transaction.js';

describe.each(Object.entries(sqlBackends))('projection transactions on %s', (name, createBackend) => {
  let backend: SqlBackend;

  beforeAll(async () => {
    backend = await createBackend();
  });
  afterAll(() => backend.teardown());

  const synchronousCommit = async (db: Parameters<ReturnType<typeof sql.raw>['execute']>[0]) =>
    (await sql<{ synchronous_commit: string }>`show synchronous_commit`.execute(db)).rows[0]?.synchronous_commit;

  it('commit without waiting for the flush where commits flush, and leave the connection as it was', async () => {
    const inside = await projectionTransaction(backend.db, (transaction) => synchronousCommit(transaction));
    // PGlite runs with fsync off: its commits never wait, so nothing is relaxed there.
    expect(inside).toBe(name === 'postgresql' ? 'off' : 'on');
    // Every connection of the pool, including the one the transaction used, still flushes on commit.
    const after = await Promise.all(Array.from({ length: 4 }, () => backend.db.transaction().execute((transaction) => synchronousCommit(transaction))));
    expect(after).toEqual(['on', 'on', 'on', 'on']);
  });

  it('roll back with everything else when the work fails', async () => {
    await sql`create table if not exists projection_transaction_probe (id int primary key)`.execute(backend.db);
    await expect(
      projectionTransaction(backend.db, async (transaction) => {
        await sql`insert into projection_transaction_probe values (1)`.execute(transaction);
        throw new Error('apply failed');
      }),
    ).rejects.toThrow('apply failed');
    const rows = await sql<{ id: number }>`select id from projection_transaction_probe`.execute(backend.db);
    expect(rows.rows).toEqual([]);
  });
});
