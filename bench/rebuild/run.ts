import pg from 'pg';
import { withEventSchemas } from '../../infra/event-store/schema-checked-event-store.js';
import { createPgliteEventStore, migratePgliteEventLog } from '../../infra/event-store/sql/pglite-event-store.js';
import { createPostgresEventStore, migratePostgresEventLog } from '../../infra/event-store/sql/postgres-event-store.js';
import type { EventStore } from '../../infra/event-store/port.js';
import { createPgliteKysely, createPostgresKysely } from '../../infra/sql/kysely.js';
import { openPglite } from '../../infra/sql/pglite.js';
import { migrateProjections } from '../../projections/migrate-projections.js';
import type { ReadModelDatabase, ReadModels } from '../../projections/read-model-database.js';
import { rebuildProjection } from '../../projections/runner/rebuild.js';
import { streamCatalogProjection } from '../../projections/stream-catalog/stream-catalog.projection.js';
import { testRegistry } from '../../test/support/test-events.js';
import { createBenchDatabase } from '../support/bench-database.js';
import { parseBenchOptions } from '../support/bench-options.js';
import { formatTable } from '../support/format-table.js';
import { startPhase } from '../support/phase-progress.js';
import { loadEvents } from './load-events.js';
import { naiveRebuild } from './naive-rebuild.js';

const options = parseBenchOptions('bench/rebuild: projection rebuild throughput', {
  events: { env: 'BENCH_REBUILD_EVENTS', description: 'events in the log', default: 200_000 },
  streams: { env: 'BENCH_REBUILD_STREAMS', description: 'streams they are spread over', default: 5_000 },
  naiveEvents: { env: 'BENCH_REBUILD_NAIVE_EVENTS', description: 'events the one-transaction-per-event baseline applies', default: 20_000 },
  pgliteEvents: { env: 'BENCH_REBUILD_PGLITE_EVENTS', description: 'events for the embedded (PGlite) figure; 0 skips it', default: 200_000 },
  serverUrl: { env: 'BENCH_POSTGRES_URL', description: 'PostgreSQL server', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
});

interface Figure {
  backend: string;
  method: string;
  events: number;
  seconds: number;
}

async function measure(db: ReadModels, store: EventStore, backend: string, naiveLimit: number): Promise<Figure[]> {
  const figures: Figure[] = [];
  const total = (await store.countEvents?.()) ?? 0;
  const batched = startPhase(`${backend}: batched rebuild`, total, 'events');
  let started = performance.now();
  const result = await rebuildProjection(db, store, streamCatalogProjection, {
    batchSize: 2_000,
    onProgress: (progress) => batched.update(progress.read, `${Math.round(progress.read / ((performance.now() - started) / 1_000))} ev/s`),
  });
  let seconds = (performance.now() - started) / 1_000;
  batched.finish(`${result.read} events in ${seconds.toFixed(2)} s`);
  figures.push({ backend, method: 'batched (2,000 per transaction)', events: result.read, seconds });

  if (naiveLimit > 0) {
    const naive = startPhase(`${backend}: one transaction per event`, naiveLimit, 'events');
    started = performance.now();
    const done = await naiveRebuild(db, store, streamCatalogProjection, naiveLimit, (count) => naive.update(count, ''));
    seconds = (performance.now() - started) / 1_000;
    naive.finish(`${done} events in ${seconds.toFixed(2)} s`);
    figures.push({ backend, method: 'naive (1 per transaction)', events: done, seconds });
  }
  return figures;
}

async function onPostgres(): Promise<Figure[]> {
  const database = await createBenchDatabase(options.serverUrl, `bench_rebuild_${Date.now().toString(36)}`);
  try {
    await migratePostgresEventLog(database.url);
    const store = withEventSchemas(createPostgresEventStore(new pg.Pool({ connectionString: database.url, max: 8 }), { ownsPool: true }), testRegistry());
    const db = createPostgresKysely<ReadModelDatabase>(new pg.Pool({ connectionString: database.url, max: 4 }));
    await migrateProjections(db, [streamCatalogProjection]);
    await loadEvents(store, options.events, options.streams, 'postgresql: loading the log');
    const figures = await measure(db, store, 'postgresql', options.naiveEvents);
    await store.close();
    await db.destroy();
    return figures;
  } finally {
    await database.drop();
  }
}

async function onPglite(): Promise<Figure[]> {
  if (options.pgliteEvents === 0) return [];
  const pglite = await openPglite();
  await migratePgliteEventLog(pglite);
  const store = withEventSchemas(createPgliteEventStore(pglite), testRegistry());
  const db = createPgliteKysely<ReadModelDatabase>(pglite);
  await migrateProjections(db, [streamCatalogProjection]);
  await loadEvents(store, options.pgliteEvents, options.streams, 'pglite: loading the log');
  const figures = await measure(db, store, 'pglite', Math.min(options.naiveEvents, options.pgliteEvents));
  await db.destroy();
  return figures;
}

const figures = [...(await onPostgres()), ...(await onPglite())];
const rate = (figure: Figure) => figure.events / figure.seconds;
const rows = figures.map((figure) => {
  const baseline = figures.find((other) => other.backend === figure.backend && other !== figure && other.method.startsWith('naive'));
  const speedup = figure.method.startsWith('batched') && baseline ? rate(figure) / rate(baseline) : undefined;
  const meetsRate = figure.method.startsWith('batched') && figure.backend === 'postgresql' ? (rate(figure) >= 20_000 ? ' ✓' : ' ✗') : '';
  const meetsSpeedup = speedup === undefined ? '' : speedup >= 10 ? ' ✓' : ' ✗';
  return [
    figure.backend,
    figure.method,
    figure.events.toLocaleString('en-US'),
    figure.seconds.toFixed(2),
    `${Math.round(rate(figure)).toLocaleString('en-US')}${meetsRate}`,
    speedup === undefined ? '' : `${speedup.toFixed(1)}×${meetsSpeedup}`,
  ];
});
console.log(`\nbench/rebuild — stream-catalog projection (targets: PostgreSQL ≥ 20,000 events/s; batched ≥ 10× naive)\n`);
console.log(
  formatTable(
    [
      { header: 'backend' },
      { header: 'method' },
      { header: 'events', align: 'right' },
      { header: 'seconds', align: 'right' },
      { header: 'events/s', align: 'right' },
      { header: 'vs naive', align: 'right' },
    ],
    rows,
  ),
);
