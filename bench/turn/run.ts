import { Agent } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { parseBenchOptions } from '../support/bench-options.js';
import { CLOCK_TICK_MS, postgresCpuTicks, processCpuTicks, ticksBetween } from '../support/machine-load.js';
import { formatCount, formatMilliseconds } from '../support/format-figures.js';
import { summarizeLatencies, type LatencySummary } from '../support/latency-summary.js';
import { startPhase } from '../support/phase-progress.js';
import { now } from '../support/timing.js';
import { runClosedLoop } from '../gateway/closed-loop.js';
import { directSystem } from '../gateway/gateway-systems.js';
import { watchServerTransactions } from '../gateway/server-transactions.js';
import { spawnFakeUpstream } from '../gateway/spawn-fake-upstream.js';
import { spawnNatsServer, type NatsServerProcess } from '../gateway/spawn-nats-server.js';
import { spawnTessera, type TesseraProfile } from '../gateway/spawn-tessera.js';
import { sendTimed } from '../gateway/timed-exchange.js';
import { startConversation, streamTurn, type TesseraApi, type TurnTiming } from './turn-client.js';
import { completedTotals, formatFrameTable, formatTurnFailures, formatTurnTable, formatTurnTargets, type ProfileRun } from './turn-report.js';

const options = parseBenchOptions('Turn overhead: a streamed turn through the REST API, the model answering after a fixed delay', {
  seconds: { env: 'BENCH_TURN_SECONDS', default: 20, description: 'measured seconds per profile' },
  warmupSeconds: { env: 'BENCH_TURN_WARMUP_SECONDS', default: 3, description: 'unmeasured seconds per profile' },
  concurrency: { env: 'BENCH_TURN_CONCURRENCY', default: 20, description: 'turns in flight at once' },
  upstreamDelayMs: { env: 'BENCH_TURN_UPSTREAM_DELAY_MS', default: 50, description: 'the fake model answers after this long' },
  profiles: { env: 'BENCH_TURN_PROFILES', default: 'services,embedded', description: 'Tessera profiles to run, in order' },
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

const TARGETS = { overheadP50Ms: 15, overheadP99Ms: 40, profile: 'services' };

interface TurnSample {
  conversationMs: number;
  turn: TurnTiming;
}

async function measureProfile(profile: TesseraProfile, upstreamUrl: string, natsUrl: string): Promise<{ run: ProfileRun; note?: string }> {
  const tessera = await spawnTessera({ profile, modelBaseUrl: upstreamUrl, postgresUrl: options.postgresUrl, natsUrl });
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  try {
    const api: TesseraApi = { origin: tessera.url, key: tessera.key, agent };
    const oneTurn = async (sequence: number): Promise<TurnSample> => {
      const startedAt = now();
      const conversationId = await startConversation(api);
      const conversationMs = now() - startedAt;
      const turn = await streamTurn(api, conversationId, `[[fake: delay=${options.upstreamDelayMs}]] Turn ${sequence}: what is the refund window?`);
      return { conversationMs, turn };
    };
    const totalSeconds = options.warmupSeconds + options.seconds;
    const progress = startPhase(`${profile}, ${options.concurrency} concurrent turns`, totalSeconds, 's');
    const loop = (durationMs: number, offsetSeconds: number) =>
      runClosedLoop({ concurrency: options.concurrency, durationMs, onProgress: (elapsedMs, done) => progress.update(offsetSeconds + elapsedMs / 1_000, `${done} turns`) }, oneTurn);
    await loop(options.warmupSeconds * 1_000, 0);
    const watch = await watchServerTransactions(tessera, options.postgresUrl);
    const cpuBefore = { tessera: processCpuTicks(tessera.pid), database: postgresCpuTicks() };
    const measured = await loop(options.seconds * 1_000, options.warmupSeconds);
    const cpuAfter = { tessera: processCpuTicks(tessera.pid), database: postgresCpuTicks() };
    const note = await watch.stop();

    const failures = new Map(measured.failures);
    for (const { turn } of measured.results) {
      if (turn.outcome === 'completed') continue;
      const cause = turn.failure ?? turn.outcome;
      failures.set(cause, (failures.get(cause) ?? 0) + 1);
    }
    const run: ProfileRun = {
      profile,
      turns: measured.results.map((sample) => sample.turn),
      conversationMs: measured.results.map((sample) => sample.conversationMs),
      failures,
      elapsedMs: measured.elapsedMs,
      cpuPerTurnMs: {
        tessera: ((cpuAfter.tessera - cpuBefore.tessera) * CLOCK_TICK_MS) / measured.results.length,
        // PGlite runs inside Tessera's process.
        database: profile === 'services' ? (ticksBetween(cpuBefore.database, cpuAfter.database) * CLOCK_TICK_MS) / measured.results.length : undefined,
      },
    };
    const totals = completedTotals(run);
    progress.finish(`${formatCount(totals.count)} turns, p50 ${formatMilliseconds(totals.p50)}, p99 ${formatMilliseconds(totals.p99)}`);
    return { run, note };
  } finally {
    agent.destroy();
    const stopped = await tessera.stop();
    if (stopped.signalled === 'SIGKILL') process.stderr.write(`tessera (${profile}) did not stop within 20 s of SIGTERM and was killed\n`);
  }
}

/** The fake upstream on its own, streamed, at the same concurrency: what no gateway could beat. */
async function measureUpstreamAlone(upstreamUrl: string): Promise<LatencySummary> {
  const system = directSystem(upstreamUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  try {
    const run = await runClosedLoop({ concurrency: options.concurrency, durationMs: 3_000 }, (sequence) =>
      sendTimed(
        agent,
        system.target,
        JSON.stringify({
          model: system.model,
          stream: true,
          messages: [{ role: 'user', content: `[[fake: delay=${options.upstreamDelayMs}]] Turn ${sequence}: what is the refund window?` }],
        }),
      ),
    );
    return summarizeLatencies(run.results.filter((exchange) => exchange.status === 200).map((exchange) => exchange.totalMs));
  } finally {
    agent.destroy();
  }
}

async function main(): Promise<void> {
  const profiles = options.profiles.split(',').map((profile) => profile.trim());
  for (const profile of profiles) {
    if (profile !== 'embedded' && profile !== 'services') throw new Error(`unknown profile "${profile}"`);
  }
  const upstream = await spawnFakeUpstream();
  let nats: NatsServerProcess | undefined;
  const runs: ProfileRun[] = [];
  const notes: string[] = [];
  let upstreamAlone: LatencySummary;
  try {
    process.stderr.write('measuring the fake upstream alone…\n');
    upstreamAlone = await measureUpstreamAlone(upstream.url);
    for (const profile of profiles as TesseraProfile[]) {
      if (profile === 'services' && !options.natsUrl) nats ??= await spawnNatsServer();
      process.stderr.write(`starting tessera (${profile})…\n`);
      const { run, note } = await measureProfile(profile, upstream.url, nats?.url ?? options.natsUrl);
      runs.push(run);
      if (note) notes.push(`${profile}: ${note}`);
    }
  } finally {
    await upstream.stop();
    await nats?.stop();
  }

  console.log(
    [
      'Turn overhead: POST /v1/conversations, then POST /v1/conversations/:id/turns (stream: true) read until the TurnCompleted frame',
      `Node ${process.version}, ${cpus().length} CPUs (1-minute load average at the end: ${loadavg()[0]?.toFixed(1) ?? '?'}); ` +
        'bin/tessera all, the fake upstream and this load generator each in their own process',
      `${options.concurrency} turns in flight (closed loop), ${options.seconds} s measured after ${options.warmupSeconds} s warm-up per profile; ` +
        `the fake model answers after ${options.upstreamDelayMs} ms`,
      `turn = from writing the turn request to the TurnCompleted frame; overhead = turn − ${options.upstreamDelayMs} ms; ` +
        'the conversation request is timed apart',
      'CPU/turn = CPU time from /proc over the measured seconds per turn measured, its conversation request included: ' +
        "Tessera's process (PGlite runs inside it), and every PostgreSQL server process",
      '',
    ].join('\n'),
  );
  console.log(formatTurnTable(runs, upstreamAlone, options.upstreamDelayMs));
  console.log('\nWhere the time goes (client-side arrival of each frame, from writing the turn request):\n');
  console.log(formatFrameTable(runs));
  const failures = formatTurnFailures(runs);
  if (failures.length > 0) console.log(['', 'Failures:', ...failures].join('\n'));
  for (const note of notes) console.log(`\n${note}`);
  console.log('');
  console.log(formatTurnTargets(runs, { ...TARGETS, upstreamDelayMs: options.upstreamDelayMs }));
}

await main();
