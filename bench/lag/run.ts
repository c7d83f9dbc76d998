import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { newId } from '../../domain/shared/ids.js';
import type { EventStore } from '../../infra/event-store/port.js';
import { withEventSchemas } from '../../infra/event-store/schema-checked-event-store.js';
import { createPgliteEventStore, migratePgliteEventLog } from '../../infra/event-store/sql/pglite-event-store.js';
import { createPostgresEventStore, migratePostgresEventLog } from '../../infra/event-store/sql/postgres-event-store.js';
import { loadConfig } from '../../infra/config/load-config.js';
import { benchRegistry } from '../support/bench-events.js';
import { createBenchDatabase } from '../support/bench-database.js';
import { parseBenchOptions } from '../support/bench-options.js';
import { formatCount } from '../support/format-figures.js';
import { summarizeLatencies } from '../support/latency-summary.js';
import { describeLongTransactions, watchLongTransactions } from '../support/long-transactions.js';
import { outsideCpuShare, takeCpuSnapshot } from '../support/machine-load.js';
import { startPhase } from '../support/phase-progress.js';
import { startLagProbe, type LagProbe } from './lag-probe.js';
import { formatLagReport, type LagRow } from './lag-report.js';
import { runSteadyWriters } from './steady-writers.js';

const TARGET_P99_MS = 50;

const options = parseBenchOptions('Subscription lag: commit → live $all subscriber', {
  rate: { env: 'BENCH_LAG_RATE', default: 200, description: 'appends per second across all writers' },
  writers: { env: 'BENCH_LAG_WRITERS', default: 4, description: 'concurrent writers' },
  seconds: { env: 'BENCH_LAG_SECONDS', default: 10, description: 'seconds of steady appends per adapter' },
  poolSize: { env: 'BENCH_LAG_POOL_SIZE', default: 8, description: 'connections per PostgreSQL store' },
  appendsPerStream: { env: 'BENCH_LAG_APPENDS_PER_STREAM', default: 20, description: 'appends before a writer starts a new stream' },
  announceMs: {
    env: 'BENCH_LAG_ANNOUNCE_MS',
    default: loadConfig({}).subscriptionAnnounceMs,
    description: 'how long commits wait to be announced together (TESSERA_SUBSCRIPTION_ANNOUNCE_MS; its default)',
  },
  postgresUrl: {
    env: 'TESSERA_BENCH_POSTGRES_URL',
    default: 'postgres://postgres@127.0.0.1:5432/test',
    description: 'server to create the bench database on',
  },
});

/** Appends at the steady rate through `writerStore` and returns one lag row per probe. */
async function measureLag(adapter: string, writerStore: EventStore, probes: readonly LagProbe[]): Promise<LagRow[]> {
  const committedAt = new Map<string, number>();
  const cpuBefore = takeCpuSnapshot();
  const progress = startPhase(`${adapter}, ${options.rate}/s from ${options.writers} writers`, options.seconds, 's');
  const run = await runSteadyWriters(writerStore, {
    writers: options.writers,
    ratePerSecond: options.rate,
    durationMs: options.seconds * 1_000,
    appendsPerStream: options.appendsPerStream,
    onCommitted: (eventId, at) => committedAt.set(eventId, at),
    onProgress: (elapsedMs, appends) => progress.update(elapsedMs / 1_000, `${formatCount(appends)} appends`),
  });
  for (const probe of probes) await probe.waitFor(committedAt.keys(), 5_000);
  progress.finish(`${formatCount(run.appends)} appends in ${(run.elapsedMs / 1_000).toFixed(1)} s`);
  const outsideCpu = outsideCpuShare(cpuBefore, takeCpuSnapshot());

  return probes.map((probe) => {
    const lags: number[] = [];
    let missing = 0;
    for (const [eventId, committed] of committedAt) {
      const received = probe.receivedAt.get(eventId);
      if (received === undefined) missing += 1;
      // A subscriber can see a commit before the writer's promise resolves; that is no lag.
      else lags.push(Math.max(0, received - committed));
    }
    return { adapter, subscriber: probe.label, appended: committedAt.size, missing, lag: summarizeLatencies(lags), outsideCpu };
  });
}

async function measurePostgres(): Promise<{ rows: LagRow[]; note: string }> {
  const database = await createBenchDatabase(options.postgresUrl, `bench_lag_${newId().replaceAll('-', '').slice(-12)}`);
  const stores: EventStore[] = [];
  const probes: LagProbe[] = [];
  try {
    await migratePostgresEventLog(database.url);
    const openStore = () => {
      const pool = new pg.Pool({ connectionString: database.url, max: options.poolSize });
      const store = withEventSchemas(createPostgresEventStore(pool, { ownsPool: true, announceAfterMs: options.announceMs }), benchRegistry());
      stores.push(store);
      return store;
    };
    const writerStore = openStore();
    // Its own pool and LISTEN connection: what another Tessera process would see.
    const otherStore = openStore();
    probes.push(await startLagProbe('same store', writerStore));
    probes.push(await startLagProbe('second store, own pool', otherStore));
    const watcher = await watchLongTransactions(options.postgresUrl, database.name);
    const rows = await measureLag('postgresql', writerStore, probes);
    return { rows, note: describeLongTransactions(await watcher.stop()) };
  } finally {
    for (const probe of probes) await probe.close();
    for (const store of stores) await store.close();
    await database.drop();
  }
}

async function measurePglite(): Promise<LagRow[]> {
  const pglite = await PGlite.create();
  await migratePgliteEventLog(pglite);
  const store = withEventSchemas(createPgliteEventStore(pglite, { ownsDatabase: true, announceAfterMs: options.announceMs }), benchRegistry());
  const probe = await startLagProbe('same store', store);
  try {
    return await measureLag('pglite (in-memory)', store, [probe]);
  } finally {
    await probe.close();
    await store.close();
  }
}

async function main(): Promise<void> {
  console.log(
    [
      'Subscription lag: appendToStream resolved (committed) → event delivered by a live subscribeToAll, schema validation on',
      `${options.rate} appends/s of 1 event from ${options.writers} writers for ${options.seconds} s per adapter; ` +
        `PostgreSQL pools of ${options.poolSize}; commits announced ${options.announceMs} ms after the first not yet announced; store defaults for polling`,
      '',
    ].join('\n'),
  );
  const postgres = await measurePostgres();
  const rows = [...postgres.rows, ...(await measurePglite())];
  console.log(formatLagReport(rows, TARGET_P99_MS));
  console.log(`\n${postgres.note}`);
  console.log(
    'lag = time from appendToStream resolving in a writer to the event reaching the subscriber, same clock.\n' +
      'outside CPU = share of the machine used by processes other than this bench and PostgreSQL meanwhile.',
  );
  if (rows.some((row) => row.missing > 0)) process.exitCode = 1;
}

await main();
