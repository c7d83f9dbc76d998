import pg from 'pg';
import { createEventRegistry } from '../../domain/events/all-event-types.js';
import type { EventStore } from '../../infra/event-store/port.js';
import { withEventSchemas } from '../../infra/event-store/schema-checked-event-store.js';
import { createPgliteEventStore, migratePgliteEventLog } from '../../infra/event-store/sql/pglite-event-store.js';
import { createPostgresEventStore, migratePostgresEventLog } from '../../infra/event-store/sql/postgres-event-store.js';
import { openPglite } from '../../infra/sql/pglite.js';
import { createTestDatabase } from '../../test/support/postgres-database.js';

export type BudgetTestBackend = 'postgresql' | 'pglite';

export interface BudgetTestStores {
  /** Stores over one log, each with its own connections, as separate processes would hold them. */
  stores: EventStore[];
  close(): Promise<void>;
}

/** Test support: `count` event stores over one fresh log, checking the domain's event schemas. */
export async function openBudgetTestStores(backend: BudgetTestBackend, count: number): Promise<BudgetTestStores> {
  const registry = createEventRegistry();
  if (backend === 'postgresql') {
    const database = await createTestDatabase();
    await migratePostgresEventLog(database.url);
    const stores = Array.from({ length: count }, () =>
      withEventSchemas(createPostgresEventStore(new pg.Pool({ connectionString: database.url, max: 4 }), { ownsPool: true }), registry),
    );
    return {
      stores,
      async close() {
        for (const store of stores) await store.close();
        await database.drop();
      },
    };
  }
  const pglite = await openPglite();
  await migratePgliteEventLog(pglite);
  const stores = Array.from({ length: count }, () => withEventSchemas(createPgliteEventStore(pglite), registry));
  return {
    stores,
    async close() {
      for (const store of stores) await store.close();
      await pglite.close();
    },
  };
}
