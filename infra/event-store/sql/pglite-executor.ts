import type { PGlite } from '@electric-sql/pglite';
import { createPgliteStatements } from '../../sql/pglite-statements.js';
import type { SqlExecutor } from './sql-executor.js';

export interface PgliteExecutorOptions {
  /** Close the database with the executor; true when the store opened it. */
  ownsDatabase?: boolean;
  /**
   * Send the store's statements as named prepared statements (default true): one trip
   * into the database per call instead of six, which took an append from 0.37 to 0.23 ms.
   */
  preparedStatements?: boolean;
}

/** The store's statements are a handful of constant texts: every one stays prepared. */
const STORE_STATEMENTS = 64;

/** PGlite is one connection in this process: LISTEN works on it directly. */
export function createPgliteExecutor(pglite: PGlite, options: PgliteExecutorOptions = {}): SqlExecutor {
  const statements = options.preparedStatements === false ? undefined : createPgliteStatements(pglite, { capacity: STORE_STATEMENTS, plans: 'cached' });

  return {
    async query<Row>(text: string, values: readonly unknown[] = []) {
      if (!statements) return (await pglite.query<Row>(text, values as unknown[])).rows;
      return (await statements.runAlone<Row>(text, values)).rows;
    },

    async listen(channel, onNotification) {
      return pglite.listen(channel, () => onNotification());
    },

    async close() {
      if (options.ownsDatabase) await pglite.close();
    },
  };
}
