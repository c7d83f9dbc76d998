import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/support/postgres-database.js';
import { createPostgresExecutor } from './postgres-executor.js';

/**
 * The store's statements go out as named prepared statements, so a connection parses
 * each once; with them turned off (for a pooler that loses them) nothing is left
 * prepared on the server.
 */
describe('the PostgreSQL executor', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database.drop();
  });

  const preparedOnConnection = async (preparedStatements: boolean | undefined) => {
    // One connection, so the statement and the look at what it prepared share it.
    const pool = new pg.Pool({ connectionString: database.url, max: 1 });
    const executor = createPostgresExecutor(pool, { ownsPool: true, preparedStatements });
    try {
      for (const value of [1, 2, 3]) {
        expect(await executor.query<{ doubled: number }>('select $1::int * 2 as doubled', [value])).toEqual([{ doubled: value * 2 }]);
      }
      return await executor.query<{ statement: string; calls: string }>(
        `select statement, generic_plans + custom_plans as calls from pg_prepared_statements where name like 'tessera\\_%'`,
      );
    } finally {
      await executor.close();
    }
  };

  it('prepares each statement once per connection and reuses it', async () => {
    const prepared = await preparedOnConnection(undefined);
    const doubling = prepared.find((row) => row.statement.includes('* 2 as doubled'));
    expect(doubling).toBeDefined();
    expect(Number(doubling!.calls)).toBe(3);
  });

  it('prepares nothing when prepared statements are turned off', async () => {
    expect(await preparedOnConnection(false)).toEqual([]);
  });
});
