import type { PGlite } from '@electric-sql/pglite';
import type { SqlExecutor } from './sql-executor.js';

/** PGlite is one connection in this process: LISTEN works on it directly. */
export function createPgliteExecutor(pglite: PGlite, options: { ownsDatabase?: boolean } = {}): SqlExecutor {
  return {
    async query<Row>(text: string, values?: readonly unknown[]) {
      const result = await pglite.query<Row>(text, values as unknown[] | undefined);
      return result.rows;
    },

    async listen(channel, onNotification) {
      return pglite.listen(channel, () => onNotification());
    },

    async close() {
      if (options.ownsDatabase) await pglite.close();
    },
  };
}
