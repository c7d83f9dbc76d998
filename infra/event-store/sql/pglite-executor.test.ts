import type { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPglite } from '../../sql/pglite.js';
import { createPgliteExecutor } from './pglite-executor.js';

/**
 * On PGlite the store's statements go out as named prepared statements, one trip into
 * the database each; what they answer must not differ from `PGlite.query`'s answer, and
 * they must keep to PGlite's locks like any other statement.
 */
describe('the PGlite executor', () => {
  let pglite: PGlite;
  beforeAll(async () => {
    pglite = await openPglite();
    await pglite.exec('create table executor_rows (x int primary key, note text)');
  });
  afterAll(async () => {
    await pglite.close();
  });

  const preparedCalls = async () =>
    (
      await pglite.query<{ statement: string; calls: string }>(
        `select statement, generic_plans + custom_plans as calls from pg_prepared_statements where name like 'tessera\\_%'`,
      )
    ).rows;

  it('answers exactly as PGlite.query does, types and nulls included', async () => {
    const executor = createPgliteExecutor(pglite);
    const statement =
      'select $1::bigint as big, $2::jsonb as doc, $3::timestamptz as at, $4::boolean as flag, $5::text as missing, $6::uuid as id, $7::int as small';
    const values = ['9007199254740993', JSON.stringify({ a: [1, 'two'] }), new Date('2026-11-24T10:00:00.123Z'), true, null, '01a20dfd-591f-700a-88e5-3c68e83444b7', 42];
    const expected = (await pglite.query(statement, values)).rows;
    expect(await executor.query(statement, values)).toEqual(expected);
    expect(await executor.query(statement, values)).toEqual(expected);
    expect(expected[0]).toMatchObject({ big: '9007199254740993', doc: { a: [1, 'two'] }, flag: true, missing: null, small: 42 });
  });

  it('prepares each statement once and reuses it, and prepares nothing when told not to', async () => {
    const executor = createPgliteExecutor(pglite);
    for (const value of [1, 2, 3]) expect(await executor.query<{ doubled: number }>('select $1::int * 2 as doubled', [value])).toEqual([{ doubled: value * 2 }]);
    expect(Number((await preparedCalls()).find((row) => row.statement.includes('* 2 as doubled'))?.calls)).toBe(3);

    await pglite.exec('deallocate all');
    const unprepared = createPgliteExecutor(pglite, { preparedStatements: false });
    expect(await unprepared.query<{ tripled: number }>('select $1::int * 3 as tripled', [2])).toEqual([{ tripled: 6 }]);
    expect(await preparedCalls()).toEqual([]);
  });

  it('prepares a statement again when it was dropped behind its back', async () => {
    const executor = createPgliteExecutor(pglite);
    expect(await executor.query('select $1::int + 1 as next', [1])).toEqual([{ next: 2 }]);
    await pglite.exec('deallocate all');
    expect(await executor.query('select $1::int + 1 as next', [2])).toEqual([{ next: 3 }]);
  });

  it('raises the database error with its code and detail, and goes on working after it', async () => {
    const executor = createPgliteExecutor(pglite);
    await executor.query('insert into executor_rows (x, note) values ($1, $2)', [1, 'first']);
    await expect(executor.query('insert into executor_rows (x, note) values ($1, $2)', [1, 'again'])).rejects.toMatchObject({
      code: '23505',
      detail: 'Key (x)=(1) already exists.',
    });
    expect(await executor.query('select note from executor_rows where x = $1', [1])).toEqual([{ note: 'first' }]);
  });

  it('waits for another caller’s open transaction instead of running inside it', async () => {
    const executor = createPgliteExecutor(pglite);
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let inserted!: () => void;
    const insertedInTransaction = new Promise<void>((resolve) => (inserted = resolve));
    const rolledBack = pglite
      .transaction(async (transaction) => {
        await transaction.query('insert into executor_rows (x, note) values (10, $1)', ['in the transaction']);
        inserted();
        await released;
        throw new Error('roll back');
      })
      .catch(() => undefined);
    await insertedInTransaction;
    const outside = executor.query('insert into executor_rows (x, note) values ($1, $2)', [11, 'outside']);
    // Long enough for a statement that slipped between the transaction's own to have run.
    await new Promise((resolve) => setTimeout(resolve, 50));
    release();
    await rolledBack;
    await outside;
    expect(await executor.query<{ x: number }>('select x from executor_rows where x >= $1 order by x', [10])).toEqual([{ x: 11 }]);
  });
});
