import { openPglite } from '../../infra/sql/pglite.js';
import pg from 'pg';
import type { EventRegistry } from '../../domain/events/event-registry.js';
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

/** Each backend checks events against `registry`: the small test events unless a suite needs the domain's. */
export const sqlBackends: Record<'postgresql' | 'pglite', (registry?: EventRegistry) => Promise<SqlBackend>> = {
  async postgresql(registry = testRegistry()) {
    const database = await createTestDatabase();
    await migratePostgresEventLog(database.url);
    const storePool = new pg.Pool({ connectionString: database.url, max: 8 });
    const store = withEventSchemas(createPostgresEventStore(storePool, { ownsPool: true }), registry);
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
  async pglite(registry = testRegistry()) {
    const pglite = await openPglite();
    await migratePgliteEventLog(pglite);
    const store = withEventSchemas(createPgliteEventStore(pglite), registry);
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
