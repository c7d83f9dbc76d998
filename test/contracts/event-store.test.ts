import { openPglite } from '../../infra/sql/pglite.js';
import pg from 'pg';
import { createKurrentDbEventStore, kurrentDbQuirks } from '../../infra/event-store/kurrentdb/index.js';
import { createPgliteEventStore, migratePgliteEventLog } from '../../infra/event-store/sql/pglite-event-store.js';
import { createPostgresEventStore, migratePostgresEventLog } from '../../infra/event-store/sql/postgres-event-store.js';
import { recordAdapterNotCovered } from '../support/adapter-coverage.js';
import { startKurrentDb } from '../support/kurrentdb.js';
import { createTestDatabase } from '../support/postgres-database.js';
import { describeEventStoreContract } from './event-store.contract.js';

const sqlQuirks = { detectsIdReuseAcrossStreams: true, appendsToSeveralStreams: true, reportsWritten: true };

describeEventStoreContract(
  'postgresql',
  async () => {
    const database = await createTestDatabase();
    await migratePostgresEventLog(database.url);
    const pool = new pg.Pool({ connectionString: database.url, max: 16 });
    return {
      store: createPostgresEventStore(pool, { ownsPool: true }),
      teardown: () => database.drop(),
    };
  },
  sqlQuirks,
);

describeEventStoreContract(
  'pglite',
  async () => {
    const pglite = await openPglite();
    await migratePgliteEventLog(pglite);
    return { store: createPgliteEventStore(pglite, { ownsDatabase: true }), teardown: async () => undefined };
  },
  sqlQuirks,
);

// KurrentDB runs where KURRENTDB_URL is set or a Docker engine exists; elsewhere the
// run's adapter summary says it was not covered and why.
const kurrent = await startKurrentDb();
if ('unavailable' in kurrent) {
  recordAdapterNotCovered('event-store', 'kurrentdb', kurrent.unavailable);
} else {
  describeEventStoreContract(
    'kurrentdb',
    async () => ({ store: createKurrentDbEventStore(kurrent.client), teardown: () => kurrent.stop() }),
    kurrentDbQuirks,
  );
}
