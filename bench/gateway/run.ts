import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseBenchOptions } from '../support/bench-options.js';
import { formatCount } from '../support/format-figures.js';
import { startPhase } from '../support/phase-progress.js';
import { formatCpuProfileSummary, summarizeCpuProfile } from './cpu-profile-summary.js';
import {
  figuresOf,
  formatFailures,
  formatNonStreamTable,
  formatStreamTable,
  formatTargets,
  gatewayTargets,
  type ScenarioResult,
} from './gateway-report.js';
import { measureScenario, type GatewayScenario } from './gateway-scenario.js';
import { cacheHitFloorSystem, directSystem, portkeySystem, scriptedReply, tesseraSystem, type GatewaySystem } from './gateway-systems.js';
import { spawnCacheHitFloor, type CacheHitFloorProcess } from './spawn-cache-hit-floor.js';
import { spawnFakeUpstream, type FakeUpstreamProcess } from './spawn-fake-upstream.js';
import { spawnNatsServer, type NatsServerProcess } from './spawn-nats-server.js';
import { spawnPortkey, type PortkeyProcess } from './spawn-portkey.js';
import { spawnTessera, type TesseraProcess, type TesseraProfile } from './spawn-tessera.js';
import { watchServerTransactions } from './server-transactions.js';
import { allGatewayFeatures, setBenchBudget } from './gateway-features.js';

const options = parseBenchOptions('Gateway added latency: Tessera and Portkey in front of the same fake upstream', {
  seconds: { env: 'BENCH_GATEWAY_SECONDS', default: 5, description: 'measured seconds per scenario and system' },
  rounds: { env: 'BENCH_GATEWAY_ROUNDS', default: 2, description: 'rotating rounds the measured seconds are split into' },
  warmupSeconds: {
    env: 'BENCH_GATEWAY_WARMUP_SECONDS',
    default: 3,
    description: 'unmeasured seconds per scenario and system (each system warms up before its first round: a server measured warm, as one runs for hours)',
  },
  lowConcurrency: { env: 'BENCH_GATEWAY_LOW_CONCURRENCY', default: 1, description: 'clients in the latency scenarios' },
  highConcurrency: { env: 'BENCH_GATEWAY_HIGH_CONCURRENCY', default: 32, description: 'clients in the throughput scenarios' },
  replyWords: { env: 'BENCH_GATEWAY_REPLY_WORDS', default: 24, description: 'words in the answer (one stream chunk each)' },
  chunkDelayMs: { env: 'BENCH_GATEWAY_CHUNK_DELAY_MS', default: 2, description: "pause between the fake upstream's stream chunks" },
  profile: { env: 'BENCH_GATEWAY_PROFILE', default: 'embedded', description: "Tessera's profile: embedded or services" },
  allFeatures: {
    env: 'BENCH_GATEWAY_ALL_FEATURES',
    default: 0,
    description: '1: routing (gateway file), response cache, a hard budget and rate limits all on, plus a cache-hit scenario',
  },
  split: { env: 'BENCH_GATEWAY_SPLIT', default: 0, description: "1: services profile as separate serve, worker and project processes instead of one 'all'" },
  cpuProfile: { env: 'BENCH_GATEWAY_CPU_PROFILE', default: 0, description: '1: compile Tessera, run it under --cpu-prof and print where its time went' },
  postgresUrl: {
    env: 'TESSERA_BENCH_POSTGRES_URL',
    default: 'postgres://postgres@127.0.0.1:5432/test',
    description: 'server for the services profile database',
  },
  natsUrl: {
    env: 'TESSERA_BENCH_NATS_URL',
    default: '',
    description: 'NATS for the services profile; empty: a private nats-server for this run',
  },
});

async function main(): Promise<void> {
  if (options.profile !== 'embedded' && options.profile !== 'services') throw new Error('--profile must be embedded or services');
  const profile: TesseraProfile = options.profile;
  const reply = scriptedReply(options.replyWords);
  const profileDirectory = options.cpuProfile ? mkdtempSync(join(tmpdir(), 'tessera-cpu-')) : undefined;
  let nats: NatsServerProcess | undefined;
  let upstream: FakeUpstreamProcess | undefined;
  let tessera: TesseraProcess | undefined;
  let portkey: PortkeyProcess | undefined;
  const results: ScenarioResult[] = [];
  let systems: GatewaySystem[] = [];
  let serverNote: string | undefined;
  let cacheHits: ReturnType<typeof figuresOf> | undefined;
  let floorHits: ReturnType<typeof figuresOf> | undefined;
  let floor: CacheHitFloorProcess | undefined;
  try {
    process.stderr.write('starting the fake upstream, Tessera and Portkey, each in its own process…\n');
    upstream = await spawnFakeUpstream({ chunkDelayMs: options.chunkDelayMs });
    if (profile === 'services' && !options.natsUrl) nats = await spawnNatsServer();
    const upstreamUrl = upstream.url;
    [tessera, portkey] = await Promise.all([
      spawnTessera({
        profile,
        modelBaseUrl: upstreamUrl,
        postgresUrl: options.postgresUrl,
        natsUrl: nats?.url ?? options.natsUrl,
        split: options.split === 1,
        settings: options.allFeatures === 1 ? allGatewayFeatures(upstreamUrl) : undefined,
        nodeArguments: profileDirectory ? ['--cpu-prof', `--cpu-prof-dir=${profileDirectory}`] : undefined,
      }),
      spawnPortkey(),
    ]);
    if (options.allFeatures === 1) await setBenchBudget(tessera.url, tessera.key);
    const watch = await watchServerTransactions(tessera, options.postgresUrl);
    systems = [
      { ...directSystem(upstreamUrl), pid: upstream.pid },
      { ...tesseraSystem(tessera.url, tessera.key, profile), pid: tessera.pid },
      { ...portkeySystem(portkey.url, upstreamUrl), pid: portkey.pid },
    ];

    const scenarios: GatewayScenario[] = [
      { stream: false, concurrency: options.lowConcurrency },
      { stream: false, concurrency: options.highConcurrency },
      { stream: true, concurrency: options.lowConcurrency },
      { stream: true, concurrency: options.highConcurrency },
    ];
    const timing = { warmupMs: options.warmupSeconds * 1_000, measuredMs: options.seconds * 1_000, rounds: Math.max(1, options.rounds) };
    for (const scenario of scenarios) {
      const label = `${scenario.stream ? 'stream' : 'non-stream'}, c=${scenario.concurrency}`;
      const progress = startPhase(label, systems.length * (options.warmupSeconds + options.seconds), 's');
      const samples = await measureScenario(systems, scenario, timing, reply, progress);
      results.push({ ...scenario, samples });
      progress.finish(
        systems
          .map((system) => `${system.name} ${formatCount(figuresOf(samples.get(system.name)).perSecond)}/s`)
          .join(', '),
      );
    }
    if (options.allFeatures === 1) {
      // Beside Tessera's hits, in the services profile: what the same round trips cost a server that does nothing else.
      if (profile === 'services') floor = await spawnCacheHitFloor({ postgresUrl: options.postgresUrl });
      const hitSystems = [...systems.filter((system) => system.name === 'tessera'), ...(floor ? [{ ...cacheHitFloorSystem(floor.url), pid: floor.pid }] : [])];
      const progress = startPhase('cache hits, c=1', hitSystems.length * (options.warmupSeconds + options.seconds), 's');
      const hits = await measureScenario(hitSystems, { stream: false, concurrency: 1, repeated: true }, timing, reply, progress);
      cacheHits = figuresOf(hits.get('tessera'));
      if (floor) floorHits = figuresOf(hits.get('floor'));
      progress.finish(`tessera ${formatCount(cacheHits.perSecond)}/s${floorHits ? `, floor ${formatCount(floorHits.perSecond)}/s` : ''}`);
    }
    serverNote = await watch.stop();
  } finally {
    const stopped = await tessera?.stop();
    if (stopped?.signalled === 'SIGKILL') process.stderr.write('tessera did not stop within 20 s of SIGTERM and was killed\n');
    await portkey?.stop();
    await upstream?.stop();
    await floor?.stop();
    await nats?.stop();
  }

  printReport(results, systems, profile, tessera, portkey);
  if (cacheHits) {
    const { p50, p99 } = cacheHits.total;
    console.log(`\ncache hits (the same temperature-0 request, c=1, answered from the cache): p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms (goal: p99 ≤ 2 ms) ${p99 <= 2 ? '✓' : '✗'}`);
    if (floorHits) {
      console.log(
        `in the same rounds, a bare node:http server making the same round trips (a Redis count, a Redis read, an insert into PostgreSQL with a synchronous commit): p50 ${floorHits.total.p50.toFixed(2)} ms, p99 ${floorHits.total.p99.toFixed(2)} ms`,
      );
    }
  }
  if (serverNote) console.log(`\n${serverNote}`);
  if (profileDirectory) {
    const files = readdirSync(profileDirectory).filter((name) => name.endsWith('.cpuprofile'));
    console.log('\nWhere Tessera spent its CPU time during the whole run (--cpu-prof on the server process):\n');
    console.log(files[0] ? formatCpuProfileSummary(summarizeCpuProfile(join(profileDirectory, files[0]))) : 'no profile was written');
    rmSync(profileDirectory, { recursive: true, force: true });
  }
}

function printReport(
  results: readonly ScenarioResult[],
  systems: readonly GatewaySystem[],
  profile: TesseraProfile,
  tessera: TesseraProcess | undefined,
  portkey: PortkeyProcess | undefined,
): void {
  console.log(
    [
      `Gateway added latency: Tessera (${profile}, ${options.split === 1 && profile === 'services' ? 'serve + worker + project' : 'bin/tessera all'}${options.allFeatures === 1 ? '; routing, cache, budget and rate limits on' : ''}) and Portkey 1.15.2 (--headless) in front of the same fake upstream`,
      `Node ${process.version}, ${cpus().length} CPUs (1-minute load average at the end: ${loadavg()[0]?.toFixed(1) ?? '?'}); ` +
        'the load generator, the fake upstream and each gateway run in separate processes on this machine',
      `${options.seconds} s measured per scenario and system in ${options.rounds} rotating rounds after ${options.warmupSeconds} s warm-up; ` +
        `closed loop over keep-alive connections; answer of ${options.replyWords} words, stream chunks ${options.chunkDelayMs} ms apart`,
      'added = percentile through the gateway − the same percentile direct to the upstream; n = successful requests measured',
      'TTFT = until the first chunk with answer text; chunk gap = (last text chunk − first) ÷ (text chunks − 1) per stream, 0 when they arrive together',
      `CPU/req = CPU time per answered request, from /proc, over the system's measured rounds: process = the one answering (the upstream's for direct${options.split === 1 && profile === 'services' ? ", Tessera's API process" : ''}); PostgreSQL = every PostgreSQL server process`,
      '',
    ].join('\n'),
  );
  console.log(formatNonStreamTable(results, systems));
  console.log('');
  console.log(formatStreamTable(results, systems));
  const failures = formatFailures(results, systems);
  if (failures.length > 0) console.log(['', 'Failures:', ...failures].join('\n'));
  const portkeyCause = [...new Set(portkey?.errorLines().filter((line) => /TypeError/.test(line)) ?? [])].slice(0, 2);
  if (portkeyCause.length > 0) console.log(`Portkey's log: ${portkeyCause.join(' | ')}`);
  const warnings = tessera?.warnings() ?? [];
  if (warnings.length > 0) console.log(`Tessera logged ${warnings.length} warnings or errors; first: ${warnings[0]?.slice(0, 300) ?? ''}`);
  console.log('');
  console.log(formatTargets(gatewayTargets(results, options.lowConcurrency, options.highConcurrency)));
}

await main();
