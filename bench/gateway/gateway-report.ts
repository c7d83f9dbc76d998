import { checkMark, formatCount, formatMilliseconds, formatRatio } from '../support/format-figures.js';
import { formatTable } from '../support/format-table.js';
import { summarizeLatencies, type LatencySummary } from '../support/latency-summary.js';
import type { SystemSamples } from './gateway-scenario.js';
import type { GatewaySystem, SystemName } from './gateway-systems.js';

/** Samples of one scenario (stream or not, one concurrency) for each system. */
export interface ScenarioResult {
  stream: boolean;
  concurrency: number;
  samples: Map<SystemName, SystemSamples>;
}

export interface TargetRow {
  target: string;
  measured: string;
  goal: string;
  met: boolean | undefined;
}

interface Figures {
  perSecond: number;
  total: LatencySummary;
  firstContent: LatencySummary;
  chunkGap: LatencySummary;
  errorShare: number;
}

export function figuresOf(samples: SystemSamples | undefined): Figures {
  const attempts = (samples?.succeeded ?? 0) + (samples?.failed ?? 0);
  return {
    perSecond: samples && samples.measuredMs > 0 ? (samples.succeeded * 1_000) / samples.measuredMs : Number.NaN,
    total: summarizeLatencies(samples?.totals ?? []),
    firstContent: summarizeLatencies(samples?.firstContent ?? []),
    chunkGap: summarizeLatencies(samples?.chunkGaps ?? []),
    errorShare: attempts === 0 ? Number.NaN : (samples?.failed ?? 0) / attempts,
  };
}

/** Through the proxy minus direct, percentile by percentile. */
export function added(proxy: number, direct: number): number {
  return proxy - direct;
}

function signed(value: number): string {
  if (!Number.isFinite(value)) return '—';
  return `${value >= 0 ? '+' : '−'}${formatMilliseconds(Math.abs(value))}`;
}

function share(value: number): string {
  if (!Number.isFinite(value)) return '—';
  return value === 0 ? '0%' : `${(value * 100).toFixed(value < 0.01 ? 2 : 1)}%`;
}

export function formatNonStreamTable(results: readonly ScenarioResult[], systems: readonly GatewaySystem[]): string {
  const rows: string[][] = [];
  for (const result of results.filter((item) => !item.stream)) {
    const direct = figuresOf(result.samples.get('direct'));
    for (const system of systems) {
      const own = figuresOf(result.samples.get(system.name));
      const isDirect = system.name === 'direct';
      rows.push([
        String(result.concurrency),
        system.label,
        formatCount(own.total.count),
        formatCount(own.perSecond),
        formatMilliseconds(own.total.p50),
        formatMilliseconds(own.total.p99),
        isDirect ? '' : signed(added(own.total.p50, direct.total.p50)),
        isDirect ? '' : signed(added(own.total.p99, direct.total.p99)),
        ...cpuPerRequest(result.samples.get(system.name)),
        share(own.errorShare),
      ]);
    }
  }
  return formatTable(
    [
      { header: 'c' },
      { header: 'non-stream' },
      { header: 'n', align: 'right' },
      { header: 'req/s', align: 'right' },
      { header: 'p50', align: 'right' },
      { header: 'p99', align: 'right' },
      { header: 'added p50', align: 'right' },
      { header: 'added p99', align: 'right' },
      { header: 'CPU/req: process', align: 'right' },
      { header: 'PostgreSQL', align: 'right' },
      { header: 'errors', align: 'right' },
    ],
    rows,
  );
}

/** CPU time per answered request: the answering process's own, and PostgreSQL's over the same rounds. */
export function cpuPerRequest(samples: SystemSamples | undefined): [string, string] {
  const answered = samples?.succeeded ?? 0;
  if (!samples || answered === 0) return ['—', '—'];
  const perRequest = (cpuMs: number) => (Number.isFinite(cpuMs) ? formatMilliseconds(cpuMs / answered) : '—');
  return [perRequest(samples.processCpuMs), perRequest(samples.databaseCpuMs)];
}

export function formatStreamTable(results: readonly ScenarioResult[], systems: readonly GatewaySystem[]): string {
  const rows: string[][] = [];
  for (const result of results.filter((item) => item.stream)) {
    const direct = figuresOf(result.samples.get('direct'));
    for (const system of systems) {
      const own = figuresOf(result.samples.get(system.name));
      const isDirect = system.name === 'direct';
      rows.push([
        String(result.concurrency),
        system.label,
        formatCount(own.firstContent.count),
        formatCount(own.perSecond),
        formatMilliseconds(own.firstContent.p50),
        formatMilliseconds(own.firstContent.p99),
        isDirect ? '' : signed(added(own.firstContent.p50, direct.firstContent.p50)),
        isDirect ? '' : signed(added(own.firstContent.p99, direct.firstContent.p99)),
        formatMilliseconds(own.chunkGap.p50),
        isDirect ? '' : signed(added(own.chunkGap.p50, direct.chunkGap.p50)),
        share(own.errorShare),
      ]);
    }
  }
  return formatTable(
    [
      { header: 'c' },
      { header: 'stream' },
      { header: 'n', align: 'right' },
      { header: 'streams/s', align: 'right' },
      { header: 'TTFT p50', align: 'right' },
      { header: 'TTFT p99', align: 'right' },
      { header: 'added TTFT p50', align: 'right' },
      { header: 'added TTFT p99', align: 'right' },
      { header: 'chunk gap p50', align: 'right' },
      { header: 'added per chunk', align: 'right' },
      { header: 'errors', align: 'right' },
    ],
    rows,
  );
}

/** Every distinct failure, so an error rate in the table can be traced to its cause. */
export function formatFailures(results: readonly ScenarioResult[], systems: readonly GatewaySystem[]): string[] {
  const lines: string[] = [];
  for (const result of results) {
    for (const system of systems) {
      const samples = result.samples.get(system.name);
      for (const [message, count] of samples?.failures ?? []) {
        lines.push(`  ${system.label}, ${result.stream ? 'stream' : 'non-stream'}, c=${result.concurrency}: ${formatCount(count)} × ${message}`);
      }
    }
  }
  return lines;
}

export function findResult(results: readonly ScenarioResult[], stream: boolean, concurrency: number): ScenarioResult | undefined {
  return results.find((result) => result.stream === stream && result.concurrency === concurrency);
}

/** The brief's targets, each with what was measured and whether it holds. */
export function gatewayTargets(results: readonly ScenarioResult[], lowConcurrency: number, highConcurrency: number): TargetRow[] {
  const rows: TargetRow[] = [];
  const low = findResult(results, false, lowConcurrency);
  if (low) {
    const direct = figuresOf(low.samples.get('direct'));
    const tesseraAdded = added(figuresOf(low.samples.get('tessera')).total.p50, direct.total.p50);
    const portkeyAdded = added(figuresOf(low.samples.get('portkey')).total.p50, direct.total.p50);
    const gap = tesseraAdded - portkeyAdded;
    rows.push({
      target: `Tessera added p50 at c=${lowConcurrency} within 1 ms of Portkey's`,
      measured: `Tessera ${signed(tesseraAdded)}, Portkey ${signed(portkeyAdded)}: ${signed(gap)}`,
      goal: '≤ +1.00 ms',
      met: Number.isFinite(gap) ? gap <= 1 : false,
    });
  }
  const high = findResult(results, false, highConcurrency);
  if (high) {
    const tessera = figuresOf(high.samples.get('tessera')).perSecond;
    const portkey = figuresOf(high.samples.get('portkey')).perSecond;
    const ratio = tessera / portkey;
    rows.push({
      target: `Tessera req/s at c=${highConcurrency} vs Portkey's`,
      measured: `${formatCount(tessera)} vs ${formatCount(portkey)} req/s: ${formatRatio(ratio)}`,
      goal: '≥ 2.00×',
      met: Number.isFinite(ratio) ? ratio >= 2 : false,
    });
  }
  for (const concurrency of [lowConcurrency, highConcurrency]) {
    const streamed = findResult(results, true, concurrency);
    if (!streamed) continue;
    const direct = figuresOf(streamed.samples.get('direct'));
    const tessera = figuresOf(streamed.samples.get('tessera'));
    const value = added(tessera.firstContent.p99, direct.firstContent.p99);
    rows.push({
      target: `Tessera added TTFT p99 at c=${concurrency} (vs direct)`,
      measured: signed(value),
      goal: '≤ +5.00 ms',
      met: Number.isFinite(value) ? value <= 5 : false,
    });
    const portkey = figuresOf(streamed.samples.get('portkey'));
    rows.push({
      target: `Portkey streaming at c=${concurrency}: requests that failed`,
      measured: share(portkey.errorShare),
      goal: '(figure only)',
      met: undefined,
    });
  }
  return rows;
}

export function formatTargets(rows: readonly TargetRow[]): string {
  return formatTable(
    [{ header: 'target' }, { header: 'measured' }, { header: 'goal' }, { header: '' }],
    rows.map((row) => [row.target, row.measured, row.goal, row.met === undefined ? '' : checkMark(row.met)]),
  );
}
