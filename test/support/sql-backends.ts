import { openPglite } from '../../infra/sql/pglite.js';
import pg from 'pg';
import type { EventStore } from '../../infra/event-store/port.js';
import type { ReadModelDatabase, ReadModels } from '../../projections/read-model-database.js';
import { withEventSchemas } from '../../infra/event-store/schema-checked-event-store.js';
import { createPgliteEventStore, migratePgliteEventLog } from '../../infra/event-store/sql/pglite-event-store.js';
import { createPostgresEventStore, migratePostgresEventLog } from '../../infra/event-store/sql/postgres-event-store.js';
import { createPgliteKysely, createPostgresKysely } from '../../infra/sql/kysely.js';
import { createTestDatabase } from './postgres-database.js';
import { testRegistry } from './test-events.js';

/** An event store and a read-model database on one backend, as one profile wires them. */
export interface SqlBackend {
  store: EventStore;
  db: ReadModels;
  teardown(): Promise<void>;
}

export const sqlBackends: Record<'postgresql' | 'pglite', () => Promise<SqlBackend>> = {
  async postgresql() {
    const database = await createTestDatabase();
    await migratePostgresEventLog(database.url);
    const storePool = new pg.Pool({ connectionString: database.url, max: 8 });
    const store = withEventSchemas(createPostgresEventStore(storePool, { ownsPool: true }), testRegistry());
    const db = createPostgresKysely<ReadModelDatabase>(new pg.Pool({ connectionString: database.url, max: 8 }));
    return {
      store,
      db,
      async teardown() {
        await store.close();
        await db.destroy();
        await database.drop();
      },
    };
  },
  async pglite() {
    const pglite = await openPglite();
    await migratePgliteEventLog(pglite);
    const store = withEventSchemas(createPgliteEventStore(pglite), testRegistry());
    const db = createPgliteKysely<ReadModelDatabase>(pglite);
    return {
      store,
      db,
      async teardown() {
        await store.close();
        await db.destroy();
      },
    };
  },
};
