import type { PGlite } from '@electric-sql/pglite';
import { Kysely, PGliteDialect, sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openPglite } from './pglite.js';
import { OneTripPgliteDialect } from './pglite-dialect.js';
import { createPgliteStatements } from './pglite-statements.js';

interface Database {
  notes: { id: number; body: string; doc: unknown; at: Date; big: string };
}

/**
 * Read models on PGlite send each statement in one trip: what kysely gets back must not
 * differ from what kysely's own PGlite dialect gives, and transactions must keep to
 * PGlite's locks like `PGlite.transaction` does.
 */
describe('the one-trip PGlite dialect', () => {
  let pglite: PGlite;
  let oneTrip: Kysely<Database>;
  let plain: Kysely<Database>;
  beforeAll(async () => {
    pglite = await openPglite();
    await pglite.exec('create table notes (id int primary key, body text not null, doc jsonb, at timestamptz, big bigint)');
    oneTrip = new Kysely<Database>({ dialect: new OneTripPgliteDialect(pglite) });
    plain = new Kysely<Database>({ dialect: new PGliteDialect({ pglite }) });
  });
  beforeEach(async () => {
    await pglite.exec('delete from notes');
  });
  afterAll(async () => {
    await pglite.close();
  });

  const ids = async () => (await plain.selectFrom('notes').select('id').orderBy('id').execute()).map((row) => row.id);

  it('answers as kysely’s own PGlite dialect does: rows, types and affected rows', async () => {
    const row = (id: number) => ({ id, body: `note ${id}`, doc: JSON.stringify({ tags: ['a', id] }), at: new Date('2026-11-24T10:00:00.123Z'), big: '9007199254740993' });
    const inserted = await oneTrip.insertInto('notes').values([row(1), row(2)]).returning(['id', 'doc', 'at', 'big']).execute();
    expect(inserted).toEqual(await plain.selectFrom('notes').select(['id', 'doc', 'at', 'big']).orderBy('id').execute());
    expect(inserted[0]).toMatchObject({ doc: { tags: ['a', 1] }, at: new Date('2026-11-24T10:00:00.123Z'), big: '9007199254740993' });

    const updated = await oneTrip.updateTable('notes').set({ body: 'changed' }).where('id', '>=', 1).executeTakeFirstOrThrow();
    expect(updated.numUpdatedRows).toBe(2n);
    const compared = oneTrip.selectFrom('notes').selectAll().where('id', '=', 2);
    expect(await compared.execute()).toEqual(await plain.selectFrom('notes').selectAll().where('id', '=', 2).execute());
    expect((await oneTrip.deleteFrom('notes').where('id', '=', 1).executeTakeFirstOrThrow()).numDeletedRows).toBe(1n);
  });

  it('keeps no plan across calls, so none made while a table was small outlives its growth', async () => {
    for (let id = 1; id <= 8; id += 1) await oneTrip.selectFrom('notes').select('id').where('id', '=', id).execute();
    expect((await pglite.query('select name from pg_prepared_statements')).rows).toEqual([]);
  });

  it('commits a transaction, and rolls back one that fails, after which it goes on working', async () => {
    await oneTrip.transaction().execute(async (transaction) => {
      await transaction.insertInto('notes').values({ id: 1, body: 'kept', doc: null, at: new Date(), big: '1' }).execute();
    });
    await expect(
      oneTrip.transaction().execute(async (transaction) => {
        await transaction.insertInto('notes').values({ id: 2, body: 'dropped', doc: null, at: new Date(), big: '2' }).execute();
        await transaction.insertInto('notes').values({ id: 1, body: 'duplicate', doc: null, at: new Date(), big: '3' }).execute();
      }),
    ).rejects.toMatchObject({ code: '23505' });
    expect(await ids()).toEqual([1]);
    await oneTrip.insertInto('notes').values({ id: 3, body: 'after', doc: null, at: new Date(), big: '3' }).execute();
    expect(await ids()).toEqual([1, 3]);
  });

  it('begins a transaction with the isolation level and access mode asked for', async () => {
    const level = await oneTrip
      .transaction()
      .setIsolationLevel('repeatable read')
      .setAccessMode('read only')
      .execute(async (transaction) => (await sql<{ level: string; readOnly: string }>`select current_setting('transaction_isolation') as level, current_setting('transaction_read_only') as "readOnly"`.execute(transaction)).rows[0]);
    expect(level).toEqual({ level: 'repeatable read', readOnly: 'on' });
  });

  it('keeps another caller’s statements out of its open transaction, and its own out of theirs', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let inserted!: () => void;
    const insertedInTransaction = new Promise<void>((resolve) => (inserted = resolve));
    const rolledBack = oneTrip
      .transaction()
      .execute(async (transaction) => {
        await transaction.insertInto('notes').values({ id: 10, body: 'in the transaction', doc: null, at: new Date(), big: '1' }).execute();
        inserted();
        await released;
        throw new Error('roll back');
      })
      .catch(() => undefined);
    await insertedInTransaction;
    const outside = pglite.query('insert into notes (id, body) values (11, $1)', ['outside']);
    // Long enough for a statement that slipped between the transaction's own to have run.
    await new Promise((resolve) => setTimeout(resolve, 50));
    release();
    await rolledBack;
    await outside;
    expect(await ids()).toEqual([11]);

    const theirs = pglite.transaction(async (transaction) => {
      await transaction.query('insert into notes (id, body) values (20, $1)', ['theirs']);
      await new Promise((resolve) => setTimeout(resolve, 50));
      await transaction.rollback();
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    await oneTrip.insertInto('notes').values({ id: 21, body: 'mine', doc: null, at: new Date(), big: '1' }).execute();
    await theirs;
    expect(await ids()).toEqual([11, 21]);
  });
});

describe('PGlite statements kept prepared', () => {
  let pglite: PGlite;
  beforeAll(async () => {
    pglite = await openPglite();
  });
  afterAll(async () => {
    await pglite.close();
  });

  const preparedTexts = async () =>
    (await pglite.query<{ statement: string }>(`select statement from pg_prepared_statements where name like 'tessera\\_%' order by prepare_time`)).rows.map((row) => row.statement);

  it('keeps at most its capacity prepared, closing the least recently used, and prepares an evicted text again', async () => {
    const statements = createPgliteStatements(pglite, { capacity: 2, plans: 'cached' });
    const run = (text: string) => pglite.runExclusive(() => statements.run<{ n: number }>(text, [1]));
    await run('select $1::int + 1 as n');
    await run('select $1::int + 2 as n');
    await run('select $1::int + 1 as n');
    expect((await run('select $1::int + 3 as n')).rows).toEqual([{ n: 4 }]);
    expect(await preparedTexts()).toEqual(['select $1::int + 1 as n', 'select $1::int + 3 as n']);
    expect((await run('select $1::int + 2 as n')).rows).toEqual([{ n: 3 }]);
    expect(await preparedTexts()).toEqual(['select $1::int + 3 as n', 'select $1::int + 2 as n']);
  });
});
