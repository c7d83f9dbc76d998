import { checkMark, formatCount, formatMilliseconds, formatRatio } from '../support/format-figures.js';
import { formatShare } from '../support/machine-load.js';
import { formatTable } from '../support/format-table.js';
import type { LatencySummary } from '../support/latency-summary.js';

export interface SystemFigures {
  appendsPerSecond: number;
  eventsPerSecond: number;
  latency: LatencySummary;
}

export interface ScenarioFigures {
  label: string;
  tessera: SystemFigures;
  emmett: SystemFigures;
  /** Least Tessera/Emmett appends ratio that counts as meeting the target. */
  targetRatio: number;
  /** Share of the machine other processes used meanwhile (0–1). */
  outsideCpu: number;
}

export function ratioOf(scenario: ScenarioFigures): number {
  return scenario.tessera.appendsPerSecond / scenario.emmett.appendsPerSecond;
}

export function formatAppendReport(scenarios: readonly ScenarioFigures[]): string {
  const right = (header: string) => ({ header, align: 'right' as const });
  return formatTable(
    [
      { header: 'scenario' },
      right('tessera appends/s'),
      right('events/s'),
      right('p50'),
      right('p99'),
      right('emmett appends/s'),
      right('events/s'),
      right('p50'),
      right('p99'),
      right('ratio'),
      { header: 'target' },
      right('outside CPU'),
    ],
    scenarios.map((scenario) => {
      const ratio = ratioOf(scenario);
      return [
        scenario.label,
        formatCount(scenario.tessera.appendsPerSecond),
        formatCount(scenario.tessera.eventsPerSecond),
        formatMilliseconds(scenario.tessera.latency.p50),
        formatMilliseconds(scenario.tessera.latency.p99),
        formatCount(scenario.emmett.appendsPerSecond),
        formatCount(scenario.emmett.eventsPerSecond),
        formatMilliseconds(scenario.emmett.latency.p50),
        formatMilliseconds(scenario.emmett.latency.p99),
        formatRatio(ratio),
        `≥ ${formatRatio(scenario.targetRatio)} ${checkMark(ratio >= scenario.targetRatio)}`,
        formatShare(scenario.outsideCpu),
      ];
    }),
  );
}
