import { cpus } from 'node:os';
import pg from 'pg';
import { newId } from '../../domain/shared/ids.js';
import { benchEventSize } from '../support/bench-events.js';
import { parseBenchOptions } from '../support/bench-options.js';
import { createBenchDatabase, type BenchDatabase } from '../support/bench-database.js';
import { checkMark, formatCount } from '../support/format-figures.js';
import { summarizeLatencies } from '../support/latency-summary.js';
import { startPhase } from '../support/phase-progress.js';
import { outsideCpuShare, takeCpuSnapshot } from '../support/machine-load.js';
import type { AppendTarget } from './append-target.js';
import { formatAppendReport, type ScenarioFigures, type SystemFigures } from './append-report.js';
import { createEmmettTarget } from './emmett-target.js';
import { runInterleavedRounds, type SystemRun } from './interleaved-rounds.js';
import { createTesseraTarget, type TesseraTarget } from './tessera-target.js';
import { verifyGlobalOrder } from './verify-global-order.js';

const options = parseBenchOptions('Append throughput and latency: Tessera PostgreSQL vs Emmett PostgreSQL', {
  seconds: { env: 'BENCH_APPEND_SECONDS', default: 8, description: 'measured seconds per scenario and system' },
  rounds: { env: 'BENCH_APPEND_ROUNDS', default: 4, description: 'alternating rounds the measured seconds are split into' },
  warmupSeconds: { env: 'BENCH_APPEND_WARMUP_SECONDS', default: 1, description: 'unmeasured seconds per scenario and system' },
  concurrentWriters: { env: 'BENCH_APPEND_WRITERS', default: 16, description: 'writers in the concurrent scenarios' },
  poolSize: { env: 'BENCH_APPEND_POOL_SIZE', default: 16, description: 'connections per store (the same for both)' },
  appendsPerStream: { env: 'BENCH_APPEND_APPENDS_PER_STREAM', default: 20, description: 'appends before a writer starts a new stream' },
  postgresUrl: {
    env: 'TESSERA_BENCH_POSTGRES_URL',
    default: 'postgres://postgres@127.0.0.1:5432/test',
    description: 'server to create the two bench databases on',
  },
});

const scenarios = [
  { writers: 1, eventsPerAppend: 1, targetRatio: 1.2 },
  { writers: 1, eventsPerAppend: 10, targetRatio: 1.2 },
  { writers: options.concurrentWriters, eventsPerAppend: 1, targetRatio: 1.5 },
  { writers: options.concurrentWriters, eventsPerAppend: 10, targetRatio: 1.5 },
];

async function main(): Promise<void> {
  const suffix = newId().replaceAll('-', '').slice(-12);
  const databases: BenchDatabase[] = [];
  const targets: AppendTarget[] = [];
  try {
    const tesseraDatabase = await createBenchDatabase(options.postgresUrl, `bench_tessera_${suffix}`);
    databases.push(tesseraDatabase);
    const emmettDatabase = await createBenchDatabase(options.postgresUrl, `bench_emmett_${suffix}`);
    databases.push(emmettDatabase);
    // Tessera first: Emmett's driver swaps pg's global type parsers when its pool opens.
    const tessera = await createTesseraTarget(tesseraDatabase.url, options.poolSize);
    targets.push(tessera);
    const emmett = await createEmmettTarget(emmettDatabase.url, options.poolSize);
    targets.push(emmett);

    await printHeader(options.postgresUrl);
    const figures: ScenarioFigures[] = [];
    let tesseraEvents = 0;
    for (const [index, scenario] of scenarios.entries()) {
      const label = `${plural(scenario.writers, 'writer')} × ${plural(scenario.eventsPerAppend, 'event')}`;
      // Who goes first alternates per scenario too, so neither always follows the other's WAL and checkpoints.
      const order = index % 2 === 0 ? [tessera, emmett] : [emmett, tessera];
      const cpuBefore = takeCpuSnapshot();
      const progress = startPhase(label, 2 * (options.warmupSeconds + options.seconds), 's');
      const runs = await runInterleavedRounds(
        order,
        {
          ...scenario,
          appendsPerStream: options.appendsPerStream,
          warmupSeconds: options.warmupSeconds,
          seconds: options.seconds,
          rounds: options.rounds,
        },
        progress,
      );
      const tesseraRun = runs.get(tessera);
      const emmettRun = runs.get(emmett);
      if (!tesseraRun || !emmettRun) throw new Error(`scenario ${label} did not run both systems`);
      tesseraEvents += tesseraRun.eventsIncludingWarmup;
      const row = {
        label,
        tessera: toFigures(tesseraRun),
        emmett: toFigures(emmettRun),
        targetRatio: scenario.targetRatio,
        outsideCpu: outsideCpuShare(cpuBefore, takeCpuSnapshot()),
      };
      figures.push(row);
      progress.finish(
        `tessera ${formatCount(row.tessera.appendsPerSecond)} appends/s, emmett ${formatCount(row.emmett.appendsPerSecond)} appends/s`,
      );
    }

    console.log(formatAppendReport(figures));
    console.log(
      '\nratio = Tessera appends/s ÷ Emmett appends/s; latency is per append, seen by the client.\n' +
        'outside CPU = share of the machine used by processes other than this bench and PostgreSQL during the scenario.',
    );
    await printOrderCheck(tessera, tesseraEvents);
  } finally {
    for (const target of targets) await target.close().catch(() => undefined);
    for (const database of databases) await database.drop();
  }
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function toFigures(run: SystemRun): SystemFigures {
  return {
    appendsPerSecond: (run.appends * 1_000) / run.elapsedMs,
    eventsPerSecond: (run.events * 1_000) / run.elapsedMs,
    latency: summarizeLatencies(run.latencies),
  };
}

async function printHeader(serverUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  const { rows } = await client.query<{ server_version: string; synchronous_commit: string }>(
    `select current_setting('server_version') as server_version, current_setting('synchronous_commit') as synchronous_commit`,
  );
  await client.end();
  const size = benchEventSize();
  console.log(
    [
      'Append throughput: Tessera PostgreSQL adapter (schema validation on) vs Emmett PostgreSQL 0.42, same server',
      `PostgreSQL ${rows[0]?.server_version ?? '?'} (synchronous_commit=${rows[0]?.synchronous_commit ?? '?'}), Node ${process.version}, ${cpus().length} CPUs`,
      `${options.seconds} s per scenario and system in ${options.rounds} alternating rounds, after ${options.warmupSeconds} s warm-up; ` +
        `pool ${options.poolSize} each; exact expected revision on every append; new stream every ${options.appendsPerStream} appends`,
      `event data ${size.dataBytes} B JSON (${size.eventBytes} B with id, type, metadata)`,
      '',
    ].join('\n'),
  );
}

async function printOrderCheck(tessera: TesseraTarget, expectedEvents: number): Promise<void> {
  const check = await verifyGlobalOrder(tessera.store, expectedEvents);
  const holds = check.problems.length === 0;
  console.log(
    `\nGap-free order after the bench: ${checkMark(holds)} read ${formatCount(check.events)} of ${formatCount(expectedEvents)} appended events ` +
      `from $all in ${formatCount(check.batches)} batches; positions strictly increase; ${formatCount(check.streams)} streams with contiguous revisions`,
  );
  for (const problem of check.problems) console.log(`  ✗ ${problem}`);
  if (!holds) process.exitCode = 1;
}

await main();
