/**
 * A forwarder in a process of its own, for tests that SIGKILL it: it wires the real
 * PostgreSQL log, checkpoint table and NATS bus exactly as `tessera worker` does.
 */
import pg from 'pg';
import { createNatsBus } from '../../infra/bus/nats/index.js';
import { startForwarder } from '../../infra/bus/forwarder/forwarder.js';
import { withEventSchemas } from '../../infra/event-store/schema-checked-event-store.js';
import { createPostgresEventStore } from '../../infra/event-store/sql/postgres-event-store.js';
import { createPostgresKysely } from '../../infra/sql/kysely.js';
import type { ReadModelDatabase } from '../../projections/read-model-database.js';
import { forwarderCheckpoints } from '../../bin/composition/forwarder-checkpoints.js';
import { testRegistry } from './test-events.js';

const { FORWARDER_DATABASE_URL, FORWARDER_NATS_URL, FORWARDER_STREAM, FORWARDER_PREFIX } = process.env;
if (!FORWARDER_DATABASE_URL || !FORWARDER_NATS_URL || !FORWARDER_STREAM || !FORWARDER_PREFIX) {
  throw new Error('FORWARDER_DATABASE_URL, FORWARDER_NATS_URL, FORWARDER_STREAM and FORWARDER_PREFIX are required');
}

const store = withEventSchemas(
  createPostgresEventStore(new pg.Pool({ connectionString: FORWARDER_DATABASE_URL, max: 4 }), { ownsPool: true }),
  testRegistry(),
);
const db = createPostgresKysely<ReadModelDatabase>(new pg.Pool({ connectionString: FORWARDER_DATABASE_URL, max: 2 }));
const bus = await createNatsBus({ servers: FORWARDER_NATS_URL, stream: FORWARDER_STREAM, subjects: [`${FORWARDER_PREFIX}.>`] });
startForwarder(store, bus, forwarderCheckpoints(db), {
  subjectPrefix: FORWARDER_PREFIX,
  batchSize: 16,
  checkpointIntervalMs: 20,
  onError: (error) => process.stderr.write(`forwarder error: ${String(error)}\n`),
});
process.stdout.write('ready\n');
