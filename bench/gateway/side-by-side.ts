import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseBenchOptions } from '../support/bench-options.js';
import { formatCount, formatMilliseconds } from '../support/format-figures.js';
import { formatTable } from '../support/format-table.js';
import { formatMegabytes, readResidentMemory } from '../memory/resident-memory.js';
import { startPhase } from '../support/phase-progress.js';
import { allGatewayFeatures, setBenchBudget } from './gateway-features.js';
import { cpuPerRequest, figuresOf } from './gateway-report.js';
import { measureScenario, type GatewayScenario } from './gateway-scenario.js';
import { scriptedReply, tesseraSystem, type GatewaySystem } from './gateway-systems.js';
import { spawnFakeUpstream, type FakeUpstreamProcess } from './spawn-fake-upstream.js';
import { spawnNatsServer, type NatsServerProcess } from './spawn-nats-server.js';
import { spawnTessera, type TesseraProcess, type TesseraProfile } from './spawn-tessera.js';
import { REPOSITORY_ROOT } from './tsx-loader.js';

const options = parseBenchOptions('Two builds of Tessera side by side in front of the same fake upstream', {
  baseline: { env: 'BENCH_SIDE_BASELINE', default: 'HEAD', description: 'git ref of the build to compare the working tree with' },
  profile: { env: 'BENCH_SIDE_PROFILE', default: 'services', description: "both servers' profile: services or embedded (each on a new data directory)" },
  scenarios: {
    env: 'BENCH_SIDE_SCENARIOS',
    default: 'n1,n32,s1',
    description: 'comma-separated: n (non-stream), s (stream) or h (cache hit, needs all features), then the concurrency',
  },
  seconds: { env: 'BENCH_SIDE_SECONDS', default: 16, description: 'measured seconds per scenario and build' },
  rounds: { env: 'BENCH_SIDE_ROUNDS', default: 4, description: 'rotating rounds the measured seconds are split into' },
  warmupSeconds: { env: 'BENCH_SIDE_WARMUP_SECONDS', default: 2, description: 'unmeasured seconds per scenario and build' },
  allFeatures: { env: 'BENCH_SIDE_ALL_FEATURES', default: 0, description: '1: routing, the response cache, a hard budget and rate limits on in both' },
  settings: { env: 'BENCH_SIDE_SETTINGS', default: '', description: "K=V,… given to the working tree's server only (to compare settings on one build, set a baseline equal to it)" },
  replyWords: { env: 'BENCH_SIDE_REPLY_WORDS', default: 24, description: 'words in the answer (one stream chunk each)' },
  chunkDelayMs: { env: 'BENCH_SIDE_CHUNK_DELAY_MS', default: 2, description: "pause between the fake upstream's stream chunks" },
  postgresUrl: { env: 'TESSERA_BENCH_POSTGRES_URL', default: 'postgres://postgres@127.0.0.1:5432/test', description: 'server for the services profile databases' },
});

const execute = promisify(execFile);

interface Build {
  name: 'baseline' | 'tessera';
  label: string;
  root: string;
  /** Settings given to this build's server only. */
  settings: Record<string, string>;
  server?: TesseraProcess;
}

async function main(): Promise<void> {
  const profile = options.profile as TesseraProfile;
  const scenarios = options.scenarios.split(',').map(parseScenario);
  const baselineRoot = mkdtempSync(join(tmpdir(), 'tessera-baseline-'));
  const builds: Build[] = [
    { name: 'baseline', label: `baseline (${options.baseline})`, root: baselineRoot, settings: {} },
    { name: 'tessera', label: `working tree${options.settings ? ` (${options.settings})` : ''}`, root: REPOSITORY_ROOT, settings: parseSettings(options.settings) },
  ];
  const dataDirectories: string[] = [];
  let upstream: FakeUpstreamProcess | undefined;
  let nats: NatsServerProcess | undefined;
  try {
    process.stderr.write(`checking out ${options.baseline}…\n`);
    await execute('git', ['worktree', 'add', '--detach', '--force', baselineRoot, options.baseline], { cwd: REPOSITORY_ROOT });
    symlinkSync(join(REPOSITORY_ROOT, 'node_modules'), join(baselineRoot, 'node_modules'));
    // spawnTessera compiles each build before starting it.

    upstream = await spawnFakeUpstream({ chunkDelayMs: options.chunkDelayMs });
    if (profile === 'services') nats = await spawnNatsServer();
    for (const build of builds) {
      const dataDirectory = profile === 'embedded' ? mkdtempSync(join(tmpdir(), 'tessera-side-by-side-')) : undefined;
      if (dataDirectory) dataDirectories.push(dataDirectory);
      build.server = await spawnTessera({
        profile,
        repositoryRoot: build.root,
        modelBaseUrl: upstream.url,
        postgresUrl: options.postgresUrl,
        natsUrl: nats?.url,
        dataDirectory,
        settings: { ...(options.allFeatures === 1 ? allGatewayFeatures(upstream.url) : {}), ...build.settings },
      });
      if (options.allFeatures === 1) await setBenchBudget(build.server.url, build.server.key);
    }
    const systems: GatewaySystem[] = builds.map((build) => ({
      ...tesseraSystem(build.server!.url, build.server!.key, profile),
      name: build.name,
      label: build.label,
      pid: build.server!.pid,
    }));

    const reply = scriptedReply(options.replyWords);
    const rows: string[][] = [];
    for (const scenario of scenarios) {
      const name = scenarioName(scenario);
      const warm = startPhase(`${name}: warm-up`, 2 * options.warmupSeconds, 's');
      await measureScenario(systems, scenario, { warmupMs: 0, measuredMs: options.warmupSeconds * 1_000, rounds: 1 }, reply, warm);
      warm.finish('done');
      const measuring = startPhase(name, 2 * options.seconds, 's');
      const samples = await measureScenario(systems, scenario, { warmupMs: 0, measuredMs: options.seconds * 1_000, rounds: options.rounds }, reply, measuring);
      measuring.finish('done');
      systems.forEach((system, index) => {
        const own = samples.get(system.name)!;
        const figures = figuresOf(own);
        const latency = scenario.stream ? figures.firstContent : figures.total;
        const [processCpu, databaseCpu] = cpuPerRequest(own);
        rows.push([
          name,
          system.label,
          formatCount(own.succeeded),
          String(own.failed),
          formatCount(figures.perSecond),
          formatMilliseconds(latency.p50),
          formatMilliseconds(latency.p99),
          processCpu,
          // PGlite runs inside the server, so in the embedded profile no PostgreSQL process works for it.
          profile === 'services' ? databaseCpu : '—',
          formatMegabytes(readResidentMemory(builds[index]!.server!.pid).residentBytes),
        ]);
      });
    }
    console.log(`\n${builds.map((build) => build.label).join(' and ')}, ${profile} profile, in front of one fake upstream; ${options.rounds} rotating rounds of ${options.seconds / options.rounds} s each per scenario`);
    console.log("p50 / p99: of the whole exchange, or of the time to the first answer text for streams; CPU: the server process, and every PostgreSQL server process, over each build's own rounds, per request answered\n");
    console.log(
      formatTable(
        [
          { header: 'scenario' },
          { header: 'build' },
          { header: 'answered', align: 'right' },
          { header: 'failed', align: 'right' },
          { header: 'req/s', align: 'right' },
          { header: 'p50', align: 'right' },
          { header: 'p99', align: 'right' },
          { header: 'CPU per request', align: 'right' },
          { header: 'PostgreSQL CPU per request', align: 'right' },
          { header: 'RSS after', align: 'right' },
        ],
        rows,
      ),
    );
  } finally {
    for (const build of builds) await build.server?.stop().catch(() => undefined);
    await upstream?.stop();
    await nats?.stop();
    for (const directory of dataDirectories) rmSync(directory, { recursive: true, force: true });
    await execute('git', ['worktree', 'remove', '--force', baselineRoot], { cwd: REPOSITORY_ROOT }).catch(() => undefined);
    rmSync(baselineRoot, { recursive: true, force: true });
  }
}

function parseScenario(text: string): GatewayScenario {
  const match = /^([nsh])(\d+)$/.exec(text.trim());
  if (!match) throw new Error(`BENCH_SIDE_SCENARIOS: "${text}" is not n, s or h followed by a concurrency`);
  if (match[1] === 'h' && options.allFeatures !== 1) throw new Error('BENCH_SIDE_SCENARIOS: a cache-hit scenario needs BENCH_SIDE_ALL_FEATURES=1');
  return { stream: match[1] === 's', concurrency: Number(match[2]), repeated: match[1] === 'h' };
}

function scenarioName(scenario: GatewayScenario): string {
  const kind = scenario.repeated ? 'cache hit' : scenario.stream ? 'stream' : 'non-stream';
  return `${kind}, c=${scenario.concurrency}`;
}

function parseSettings(text: string): Record<string, string> {
  const pairs = text.split(',').map((pair) => pair.trim()).filter(Boolean);
  return Object.fromEntries(
    pairs.map((pair) => {
      const separator = pair.indexOf('=');
      if (separator <= 0) throw new Error(`BENCH_SIDE_SETTINGS: "${pair}" is not NAME=value`);
      return [pair.slice(0, separator), pair.slice(separator + 1)];
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
