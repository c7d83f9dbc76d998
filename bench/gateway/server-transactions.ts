import { describeLongTransactions, watchLongTransactions } from '../support/long-transactions.js';
import type { TesseraProcess } from './spawn-tessera.js';

/**
 * Services profile only: samples the PostgreSQL server for transactions holding an
 * xid while the bench runs. Tessera's gap-free read waits for the oldest one on the
 * whole server, so other databases' work on a shared server shows in its latency.
 */
export async function watchServerTransactions(
  tessera: TesseraProcess,
  postgresUrl: string,
): Promise<{ stop(): Promise<string | undefined> }> {
  if (tessera.databaseName === undefined) return { stop: async () => undefined };
  const watch = await watchLongTransactions(postgresUrl, tessera.databaseName);
  return { stop: async () => describeLongTransactions(await watch.stop()) };
}
