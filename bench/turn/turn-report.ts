import { checkMark, formatCount, formatMilliseconds } from '../support/format-figures.js';
import { formatTable } from '../support/format-table.js';
import { summarizeLatencies, type LatencySummary } from '../support/latency-summary.js';
import type { TurnTiming } from './turn-client.js';

/** Everything measured for one profile. */
export interface ProfileRun {
  profile: string;
  turns: TurnTiming[];
  conversationMs: number[];
  /** Turns that did not complete, and requests that threw, by cause. */
  failures: Map<string, number>;
  elapsedMs: number;
  /** CPU time per measured turn (its conversation's request included): Tessera's process, and PostgreSQL's server processes (services). */
  cpuPerTurnMs: { tessera: number; database?: number };
}

export interface TurnTargets {
  upstreamDelayMs: number;
  overheadP50Ms: number;
  overheadP99Ms: number;
  /** The profile the targets apply to; the others are printed beside it. */
  profile: string;
}

/** The frames in pipeline order; a frame type missing from every run is left out. */
const FRAME_ORDER = ['TurnRequested', 'PromptBuilt', 'ModelCallStarted', 'text-delta', 'ModelCallCompleted', 'OutputValidated', 'TurnCompleted'];

export function completedTotals(run: ProfileRun): LatencySummary {
  return summarizeLatencies(run.turns.filter((turn) => turn.outcome === 'completed').map((turn) => turn.totalMs));
}

export function formatTurnTable(runs: readonly ProfileRun[], upstream: LatencySummary, upstreamDelayMs: number): string {
  const rows = runs.map((run) => {
    const totals = completedTotals(run);
    const failed = [...run.failures.values()].reduce((sum, count) => sum + count, 0);
    return [
      run.profile,
      formatCount(totals.count),
      formatCount((totals.count * 1_000) / run.elapsedMs),
      formatMilliseconds(totals.p50),
      formatMilliseconds(totals.p99),
      formatMilliseconds(totals.p50 - upstreamDelayMs),
      formatMilliseconds(totals.p99 - upstreamDelayMs),
      formatMilliseconds(totals.max - upstreamDelayMs),
      formatMilliseconds(summarizeLatencies(run.conversationMs).p50),
      formatMilliseconds(run.cpuPerTurnMs.tessera),
      run.cpuPerTurnMs.database === undefined ? '—' : formatMilliseconds(run.cpuPerTurnMs.database),
      formatCount(failed),
    ];
  });
  rows.push([
    'upstream alone',
    formatCount(upstream.count),
    '',
    formatMilliseconds(upstream.p50),
    formatMilliseconds(upstream.p99),
    formatMilliseconds(upstream.p50 - upstreamDelayMs),
    formatMilliseconds(upstream.p99 - upstreamDelayMs),
    formatMilliseconds(upstream.max - upstreamDelayMs),
    '',
    '',
    '',
    '',
  ]);
  return formatTable(
    [
      { header: 'profile' },
      { header: 'turns', align: 'right' },
      { header: 'turns/s', align: 'right' },
      { header: 'turn p50', align: 'right' },
      { header: 'turn p99', align: 'right' },
      { header: 'overhead p50', align: 'right' },
      { header: 'overhead p99', align: 'right' },
      { header: 'overhead max', align: 'right' },
      { header: 'POST conversation p50', align: 'right' },
      { header: 'CPU/turn: Tessera', align: 'right' },
      { header: 'PostgreSQL', align: 'right' },
      { header: 'failed', align: 'right' },
    ],
    rows,
  );
}

/**
 * When each frame reached the client, median over completed turns, and the median gap
 * from the frame before it in the same turn: where the turn's time goes. Deltas travel
 * apart from the events, so a text-delta may arrive before ModelCallStarted.
 */
export function formatFrameTable(runs: readonly ProfileRun[]): string {
  const perRun = runs.map((run) => {
    const completed = run.turns.filter((turn) => turn.outcome === 'completed');
    return new Map(
      FRAME_ORDER.map((frame) => {
        const arrivals: number[] = [];
        const gaps: number[] = [];
        for (const turn of completed) {
          const at = turn.firstArrival.get(frame);
          if (at === undefined) continue;
          arrivals.push(at);
          const previous = FRAME_ORDER.slice(0, FRAME_ORDER.indexOf(frame))
            .map((earlier) => turn.firstArrival.get(earlier))
            .filter((value) => value !== undefined)
            .at(-1);
          gaps.push(at - (previous ?? 0));
        }
        return [frame, { at: summarizeLatencies(arrivals).p50, gap: summarizeLatencies(gaps).p50 }] as const;
      }),
    );
  });
  const rows = FRAME_ORDER.filter((frame) => perRun.some((medians) => Number.isFinite(medians.get(frame)?.at))).map((frame) => [
    frame,
    ...perRun.flatMap((medians) => [formatMilliseconds(medians.get(frame)?.at ?? Number.NaN), formatMilliseconds(medians.get(frame)?.gap ?? Number.NaN)]),
  ]);
  return formatTable(
    [
      { header: 'frame' },
      ...runs.flatMap((run) => [
        { header: `${run.profile}: arrives p50`, align: 'right' as const },
        { header: 'after previous p50', align: 'right' as const },
      ]),
    ],
    rows,
  );
}

export function formatTurnTargets(runs: readonly ProfileRun[], targets: TurnTargets): string {
  const rows: string[][] = [];
  for (const run of runs) {
    const totals = completedTotals(run);
    const applies = run.profile === targets.profile;
    const suffix = applies ? '' : ' (for comparison)';
    const p50 = totals.p50 - targets.upstreamDelayMs;
    const p99 = totals.p99 - targets.upstreamDelayMs;
    rows.push([`${run.profile}: turn overhead p50${suffix}`, formatMilliseconds(p50), `≤ ${formatMilliseconds(targets.overheadP50Ms)}`, checkMark(p50 <= targets.overheadP50Ms)]);
    rows.push([`${run.profile}: turn overhead p99${suffix}`, formatMilliseconds(p99), `≤ ${formatMilliseconds(targets.overheadP99Ms)}`, checkMark(p99 <= targets.overheadP99Ms)]);
  }
  return formatTable([{ header: 'target' }, { header: 'measured', align: 'right' }, { header: 'goal' }, { header: '' }], rows);
}

export function formatTurnFailures(runs: readonly ProfileRun[]): string[] {
  return runs.flatMap((run) => [...run.failures].map(([cause, count]) => `  ${run.profile}: ${formatCount(count)} × ${cause}`));
}
