import { Agent } from 'node:http';
import { CLOCK_TICK_MS, postgresCpuTicks, processCpuTicks, ticksBetween } from '../support/machine-load.js';
import type { PhaseProgress } from '../support/phase-progress.js';
import { runClosedLoop } from './closed-loop.js';
import { chatBody, type GatewaySystem, type SystemName } from './gateway-systems.js';
import { sendTimed, type TimedExchange } from './timed-exchange.js';

export interface GatewayScenario {
  stream: boolean;
  concurrency: number;
  /** The same temperature-0 request every time: what an exact-match cache answers. */
  repeated?: boolean;
}

export interface ScenarioTiming {
  warmupMs: number;
  measuredMs: number;
  rounds: number;
}

/** Everything measured for one system in one scenario, over all rounds. */
export interface SystemSamples {
  /** Whole exchange, successful requests only. */
  totals: number[];
  /** Streams: to the first answer text. */
  firstContent: number[];
  /** Streams: mean gap between answer chunks, one value per stream. */
  chunkGaps: number[];
  chunksPerStream: number[];
  succeeded: number;
  failed: number;
  /** Failure kinds ("HTTP 500 …", "wrong answer", a socket error) and how often. */
  failures: Map<string, number>;
  measuredMs: number;
  /** CPU time of the system's own process during its measured rounds (when its pid is known). */
  processCpuMs: number;
  /** CPU time of every PostgreSQL server process during the system's measured rounds. */
  databaseCpuMs: number;
}

/**
 * Runs one scenario against every system in rounds, rotating who goes first, so drift
 * on a shared machine (another process waking up, the heap growing) falls on all alike.
 * Each system warms up once, unmeasured, before its first round.
 */
export async function measureScenario(
  systems: readonly GatewaySystem[],
  scenario: GatewayScenario,
  timing: ScenarioTiming,
  reply: string,
  progress: PhaseProgress,
): Promise<Map<SystemName, SystemSamples>> {
  const samples = new Map<SystemName, SystemSamples>(systems.map((system) => [system.name, emptySamples()]));
  const roundMs = timing.measuredMs / timing.rounds;
  const totalMs = systems.length * (timing.warmupMs + timing.measuredMs);
  let doneMs = 0;
  for (let round = 0; round < timing.rounds; round += 1) {
    const order = systems.map((_, index) => systems[(index + round) % systems.length]!);
    for (const system of order) {
      const agent = new Agent({ keepAlive: true, maxSockets: scenario.concurrency });
      try {
        const run = (durationMs: number) =>
          runClosedLoop(
            {
              concurrency: scenario.concurrency,
              durationMs,
              onProgress: (elapsedMs, finished) => progress.update((doneMs + elapsedMs) / 1_000, `${system.name} ${finished} requests`),
            },
            (sequence) => sendTimed(agent, system.target, chatBody(system, reply, scenario.stream, scenario.repeated ? undefined : sequence)),
          );
        if (round === 0 && timing.warmupMs > 0) {
          await run(timing.warmupMs);
          doneMs += timing.warmupMs;
        }
        const cpuBefore = cpuTicksOf(system);
        const measured = await run(roundMs);
        const cpuAfter = cpuTicksOf(system);
        doneMs += roundMs;
        const target = samples.get(system.name)!;
        target.measuredMs += measured.elapsedMs;
        target.processCpuMs += (cpuAfter.own - cpuBefore.own) * CLOCK_TICK_MS;
        target.databaseCpuMs += ticksBetween(cpuBefore.database, cpuAfter.database) * CLOCK_TICK_MS;
        for (const exchange of measured.results) record(target, exchange, reply, scenario.stream);
        for (const [message, count] of measured.failures) {
          target.failed += count;
          target.failures.set(message, (target.failures.get(message) ?? 0) + count);
        }
      } finally {
        agent.destroy();
      }
    }
  }
  progress.update(totalMs / 1_000, '');
  return samples;
}

function record(samples: SystemSamples, exchange: TimedExchange, reply: string, stream: boolean): void {
  const failure =
    exchange.status !== 200
      ? `HTTP ${exchange.status} ${exchange.errorBody ?? ''}`.trim()
      : exchange.errorBody !== undefined
        ? `error in stream ${exchange.errorBody}`
        : exchange.content !== reply
          ? 'wrong answer'
          : undefined;
  if (failure !== undefined) {
    samples.failed += 1;
    samples.failures.set(failure, (samples.failures.get(failure) ?? 0) + 1);
    return;
  }
  samples.succeeded += 1;
  samples.totals.push(exchange.totalMs);
  if (!stream || exchange.firstContentMs === undefined || exchange.lastContentMs === undefined) return;
  samples.firstContent.push(exchange.firstContentMs);
  samples.chunksPerStream.push(exchange.contentChunks);
  if (exchange.contentChunks > 1) {
    samples.chunkGaps.push((exchange.lastContentMs - exchange.firstContentMs) / (exchange.contentChunks - 1));
  }
}

function emptySamples(): SystemSamples {
  return { totals: [], firstContent: [], chunkGaps: [], chunksPerStream: [], succeeded: 0, failed: 0, failures: new Map(), measuredMs: 0, processCpuMs: 0, databaseCpuMs: 0 };
}

/** NaN where it cannot be read (off Linux, no pid), which the report shows as a dash. */
function cpuTicksOf(system: GatewaySystem): { own: number; database: Map<number, number> } {
  let own = Number.NaN;
  try {
    if (system.pid !== undefined) own = processCpuTicks(system.pid);
  } catch {
    // The process is gone or /proc is missing.
  }
  return { own, database: postgresCpuTicks() };
}
