const integerFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** 12,345 — throughput figures read better grouped. */
export function formatCount(value: number): string {
  return Number.isFinite(value) ? integerFormat.format(value) : '—';
}

/** Milliseconds with enough digits to tell sub-millisecond latencies apart. */
export function formatMilliseconds(value: number): string {
  if (!Number.isFinite(value)) return '—';
  return value < 10 ? `${value.toFixed(2)} ms` : `${value.toFixed(1)} ms`;
}

export function formatRatio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : '—';
}

export function checkMark(met: boolean): string {
  return met ? '✓' : '✗';
}
