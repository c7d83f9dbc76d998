import type pg from 'pg';
import type { SqlExecutor } from '../../infra/event-store/sql/sql-executor.js';

/** The store's statements on one checked-out client, so a test can run them inside a transaction it holds open. */
export function executorOnClient(client: pg.PoolClient): SqlExecutor {
  return {
    query: async <Row>(text: string, values?: readonly unknown[]) => (await client.query(text, values as unknown[])).rows as Row[],
    listen: () => Promise.reject(new Error('a single client does not listen')),
    close: async () => undefined,
  };
}
