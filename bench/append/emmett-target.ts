import { getPostgreSQLEventStore } from '@event-driven-io/emmett-postgresql';
import type { Event } from '@event-driven-io/emmett';
import pg from 'pg';
import { benchEventData, benchMetadata, type BenchEventData, type BenchMetadata } from '../support/bench-events.js';
import type { AppendTarget } from './append-target.js';

type EmmettBenchEvent = Event<'BenchModelCallCompleted', BenchEventData, BenchMetadata>;

/**
 * Emmett's PostgreSQL event store on a pool of the same size as Tessera's. Its schema
 * is migrated before the clock starts, since Emmett would otherwise do it lazily on
 * the first append.
 */
export async function createEmmettTarget(databaseUrl: string, poolSize: number): Promise<AppendTarget> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: poolSize });
  // Dropping the database at the end kills idle clients; that must not end the process.
  pool.on('error', () => undefined);
  const store = getPostgreSQLEventStore(databaseUrl, { connectionOptions: { pool } });
  await store.schema.migrate();
  return {
    name: 'emmett',
    async append(streamName, eventsSoFar, count) {
      const turnId = streamName.slice(streamName.indexOf('-') + 1);
      const events: EmmettBenchEvent[] = [];
      for (let index = 0; index < count; index += 1) {
        events.push({
          type: 'BenchModelCallCompleted',
          data: benchEventData(turnId, eventsSoFar + index),
          metadata: benchMetadata(turnId),
        });
      }
      await store.appendToStream(streamName, events, { expectedStreamVersion: BigInt(eventsSoFar) });
    },
    async close() {
      await store.close();
      await pool.end();
    },
  };
}
