import pg from 'pg';
import type { EventStore, ExpectedRevision } from '../../infra/event-store/port.js';
import { withEventSchemas } from '../../infra/event-store/schema-checked-event-store.js';
import { createPostgresEventStore, migratePostgresEventLog } from '../../infra/event-store/sql/postgres-event-store.js';
import { toStreamId } from '../../domain/shared/stream-id.js';
import { benchRegistry, newBenchEvents } from '../support/bench-events.js';
import { pristinePgTypes } from '../support/pristine-pg-types.js';
import type { AppendTarget } from './append-target.js';

export interface TesseraTarget extends AppendTarget {
  /** The store as the product composes it, for the read-back check after the run. */
  readonly store: EventStore;
}

/** Tessera's PostgreSQL adapter behind schema validation, as the composition root wires it. */
export async function createTesseraTarget(databaseUrl: string, poolSize: number): Promise<TesseraTarget> {
  await migratePostgresEventLog(databaseUrl);
  const pool = new pg.Pool({ connectionString: databaseUrl, max: poolSize, types: pristinePgTypes });
  const store = withEventSchemas(createPostgresEventStore(pool, { ownsPool: true }), benchRegistry());
  return {
    name: 'tessera',
    store,
    async append(streamName, eventsSoFar, count) {
      const streamId = toStreamId(streamName);
      const expectedRevision: ExpectedRevision = eventsSoFar === 0 ? 'no_stream' : eventsSoFar - 1;
      const turnId = streamName.slice(streamName.indexOf('-') + 1);
      await store.appendToStream(streamId, newBenchEvents(turnId, eventsSoFar, count), { expectedRevision });
    },
    close: () => store.close(),
  };
}
