import pg from 'pg';

export interface TransactionHolders {
  /** Samples in which such a transaction had held its xid for at least the threshold. */
  samplesHeldBack: number;
  longestMs: number;
}

export interface LongTransactionReport {
  samples: number;
  thresholdMs: number;
  /** Any database's sessions and autovacuum, except the bench's own client sessions. */
  outside: TransactionHolders;
  /** The bench's own appends. */
  bench: TransactionHolders;
}

/**
 * Watches for transactions that hold a transaction id. The gap-free read waits for the
 * oldest running transaction id on the whole server, so a slow one anywhere (another
 * database, autovacuum, or one of the bench's own appends) delays every subscriber.
 */
export async function watchLongTransactions(
  serverUrl: string,
  benchDatabase: string,
  options: { intervalMs?: number; thresholdMs?: number } = {},
): Promise<{ stop(): Promise<LongTransactionReport> }> {
  const thresholdMs = options.thresholdMs ?? 20;
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  const report: LongTransactionReport = {
    samples: 0,
    thresholdMs,
    outside: { samplesHeldBack: 0, longestMs: 0 },
    bench: { samplesHeldBack: 0, longestMs: 0 },
  };
  const sample = async () => {
    const { rows } = await client.query<{ outside_ms: number; bench_ms: number }>(
      `select coalesce(max(age_ms) filter (where not own), 0)::float8 as outside_ms,
              coalesce(max(age_ms) filter (where own), 0)::float8 as bench_ms
         from (select extract(epoch from clock_timestamp() - xact_start) * 1000 as age_ms,
                      datname = $1 and backend_type = 'client backend' as own
                 from pg_stat_activity
                where backend_xid is not null and pid <> pg_backend_pid()) holders`,
      [benchDatabase],
    );
    report.samples += 1;
    record(report.outside, rows[0]?.outside_ms ?? 0);
    record(report.bench, rows[0]?.bench_ms ?? 0);
  };
  const record = (holders: TransactionHolders, longest: number) => {
    if (longest >= thresholdMs) holders.samplesHeldBack += 1;
    holders.longestMs = Math.max(holders.longestMs, longest);
  };
  // Chained, so a slow sample never overlaps the next on the one client.
  let sampling = Promise.resolve();
  const timer = setInterval(() => {
    sampling = sampling.then(sample).catch(() => undefined);
  }, options.intervalMs ?? 50);
  return {
    async stop() {
      clearInterval(timer);
      await sampling;
      await client.end();
      return report;
    },
  };
}

export function describeLongTransactions(report: LongTransactionReport): string {
  const share = (holders: TransactionHolders) =>
    `${report.samples === 0 ? 0 : ((100 * holders.samplesHeldBack) / report.samples).toFixed(0)}% of samples, longest ${holders.longestMs.toFixed(0)} ms`;
  return (
    `Transactions holding an xid ≥ ${report.thresholdMs} ms (the gap-free read waits for the oldest on the whole server), ` +
    `${report.samples} samples: outside the bench ${share(report.outside)}; the bench's own appends ${share(report.bench)}.`
  );
}
