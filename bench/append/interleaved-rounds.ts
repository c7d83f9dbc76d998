import { formatCount } from '../support/format-figures.js';
import type { PhaseProgress } from '../support/phase-progress.js';
import type { AppendTarget } from './append-target.js';
import { runClosedLoopWriters, type WriterRun } from './closed-loop-writers.js';

export interface RoundsPlan {
  writers: number;
  eventsPerAppend: number;
  appendsPerStream: number;
  warmupSeconds: number;
  /** Measured seconds per system, split evenly over the rounds. */
  seconds: number;
  rounds: number;
}

export interface SystemRun extends WriterRun {
  /** Events written including warm-up, for the read-back check. */
  eventsIncludingWarmup: number;
}

/**
 * Warms each system up, then measures them in short alternating rounds (A B, B A, …)
 * rather than one long run each: on a shared machine a burst of outside work then
 * lands on both systems instead of deciding the ratio.
 */
export async function runInterleavedRounds(
  targets: readonly AppendTarget[],
  plan: RoundsPlan,
  progress: PhaseProgress,
): Promise<Map<AppendTarget, SystemRun>> {
  const runs = new Map<AppendTarget, SystemRun>(
    targets.map((target) => [target, { appends: 0, events: 0, elapsedMs: 0, latencies: [], eventsIncludingWarmup: 0 }]),
  );
  const load = { writers: plan.writers, eventsPerAppend: plan.eventsPerAppend, appendsPerStream: plan.appendsPerStream };
  let secondsDone = 0;
  const step = async (target: AppendTarget, seconds: number, stage: string) => {
    const run = await runClosedLoopWriters(target, {
      ...load,
      durationMs: seconds * 1_000,
      onProgress: (elapsedMs, appends) =>
        progress.update(
          secondsDone + elapsedMs / 1_000,
          `${target.name} ${stage}: ${formatCount((appends * 1_000) / Math.max(1, elapsedMs))} appends/s`,
        ),
    });
    secondsDone += seconds;
    return run;
  };

  for (const target of targets) {
    const warmup = await step(target, plan.warmupSeconds, 'warm-up');
    const total = runs.get(target);
    if (total) total.eventsIncludingWarmup += warmup.events;
  }
  const secondsPerRound = plan.seconds / plan.rounds;
  for (let round = 0; round < plan.rounds; round += 1) {
    const order = round % 2 === 0 ? targets : [...targets].reverse();
    for (const target of order) {
      const run = await step(target, secondsPerRound, `round ${round + 1}/${plan.rounds}`);
      const total = runs.get(target);
      if (!total) continue;
      total.appends += run.appends;
      total.events += run.events;
      total.elapsedMs += run.elapsedMs;
      total.eventsIncludingWarmup += run.events;
      for (const latency of run.latencies) total.latencies.push(latency);
    }
  }
  return runs;
}
