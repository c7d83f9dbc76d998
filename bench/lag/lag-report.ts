import { checkMark, formatCount, formatMilliseconds } from '../support/format-figures.js';
import { formatTable } from '../support/format-table.js';
import type { LatencySummary } from '../support/latency-summary.js';
import { formatShare } from '../support/machine-load.js';

export interface LagRow {
  adapter: string;
  subscriber: string;
  appended: number;
  /** Events the subscriber never received before the wait ran out. */
  missing: number;
  lag: LatencySummary;
  /** Share of the machine other processes used meanwhile (0–1). */
  outsideCpu: number;
}

export function formatLagReport(rows: readonly LagRow[], targetP99Ms: number): string {
  const right = (header: string) => ({ header, align: 'right' as const });
  return formatTable(
    [{ header: 'adapter' }, { header: 'subscriber' }, right('events'), right('missing'), right('p50'), right('p95'), right('p99'), right('max'), { header: 'target' }, right('outside CPU')],
    rows.map((row) => [
      row.adapter,
      row.subscriber,
      formatCount(row.appended),
      formatCount(row.missing),
      formatMilliseconds(row.lag.p50),
      formatMilliseconds(row.lag.p95),
      formatMilliseconds(row.lag.p99),
      formatMilliseconds(row.lag.max),
      `p99 ≤ ${targetP99Ms} ms ${checkMark(row.missing === 0 && row.lag.p99 <= targetP99Ms)}`,
      formatShare(row.outsideCpu),
    ]),
  );
}
