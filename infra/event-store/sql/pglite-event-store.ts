import type { PGlite } from '@electric-sql/pglite';
import { createPgliteKysely } from '../../sql/kysely.js';
import type { EventStore } from '../port.js';
import { migrateToLatest } from '../../sql/migrate.js';
import { eventLogMigrations } from './migrations/index.js';
import { createPgliteExecutor } from './pglite-executor.js';
import { createSqlEventStore, type SqlEventStoreOptions } from './sql-event-store.js';

export interface PgliteEventStoreOptions extends SqlEventStoreOptions {
  /** Close the database with the store. */
  ownsDatabase?: boolean;
  /** Send statements as named prepared statements (default true). */
  preparedStatements?: boolean;
}

/** The event store inside an embedded PGlite database; run `migratePgliteEventLog` once before. */
export function createPgliteEventStore(pglite: PGlite, options: PgliteEventStoreOptions = {}): EventStore {
  return createSqlEventStore(createPgliteExecutor(pglite, { ownsDatabase: options.ownsDatabase, preparedStatements: options.preparedStatements }), { ...options, announceCommits: 'local' });
}

export async function migratePgliteEventLog(pglite: PGlite): Promise<void> {
  // Not destroyed: destroying the dialect would close the shared PGlite instance.
  const db = createPgliteKysely<unknown>(pglite);
  await migrateToLatest(db, eventLogMigrations, 'tessera_event_log');
}
