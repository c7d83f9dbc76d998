import pg from 'pg';
import { newId } from '../../domain/shared/ids.js';
import { testServices } from './services.js';

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** A fresh database on the test server, so test files can run side by side. */
export async function createTestDatabase(prefix = 'tessera_test'): Promise<TestDatabase> {
  const name = `${prefix}_${newId().replaceAll('-', '').slice(-16)}`;
  const admin = new pg.Client({ connectionString: testServices.postgresUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(testServices.postgresUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const client = new pg.Client({ connectionString: testServices.postgresUrl });
      await client.connect();
      try {
        await waitForSessionsToLeave(client, name);
        await client.query(`drop database if exists ${name} with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}

/**
 * `pool.end()` resolves before its connections' backends have exited; forcing the drop
 * while one is still leaving sends its client a FATAL that nothing listens for any more.
 */
async function waitForSessionsToLeave(client: pg.Client, name: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { rows } = await client.query<{ sessions: number }>(
      'select count(*)::int as sessions from pg_stat_activity where datname = $1',
      [name],
    );
    if (rows[0]!.sessions === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
