import type pg from 'pg';
import { createPostgresKyselyFromUrl } from '../../sql/kysely.js';
import type { EventStore } from '../port.js';
import { migrateToLatest } from '../../sql/migrate.js';
import { eventLogMigrations } from './migrations/index.js';
import { createPostgresExecutor } from './postgres-executor.js';
import { createSqlEventStore, type SqlEventStoreOptions } from './sql-event-store.js';

export interface PostgresEventStoreOptions extends SqlEventStoreOptions {
  /** Close the pool with the store. */
  ownsPool?: boolean;
  onConnectionError?: (error: Error) => void;
  /** Named prepared statements (default true); see `PostgresExecutorOptions`. */
  preparedStatements?: boolean;
}

/** The event store on a PostgreSQL pool; run `migratePostgresEventLog` once before. */
export function createPostgresEventStore(pool: pg.Pool, options: PostgresEventStoreOptions = {}): EventStore {
  return createSqlEventStore(
    createPostgresExecutor(pool, { ownsPool: options.ownsPool, onConnectionError: options.onConnectionError, preparedStatements: options.preparedStatements }),
    options,
  );
}

/** Creates or upgrades the event log tables and functions. */
export async function migratePostgresEventLog(connectionString: string): Promise<void> {
  const db = createPostgresKyselyFromUrl<unknown>(connectionString, 1);
  try {
    await migrateToLatest(db, eventLogMigrations, 'tessera_event_log');
  } finally {
    await db.destroy();
  }
}
