import pg from 'pg';
import type { Logger } from 'pino';

export interface Leadership {
  /** Resolves once this process holds the lock; rejects when `signal` aborts first. */
  acquired: Promise<void>;
  /** Aborts when the lock's connection is lost after it was acquired. */
  lost: AbortSignal;
  release(): Promise<void>;
}

/**
 * A PostgreSQL advisory lock held on a connection of its own: one forwarder publishes
 * at a time across worker processes, and a standby takes over when the leader's
 * connection dies (the server releases the lock with the session).
 */
export function acquireLeadership(connectionString: string, name: string, logger: Logger, signal: AbortSignal): Leadership {
  const lost = new AbortController();
  let client: pg.Client | undefined;
  const acquired = (async () => {
    for (;;) {
      if (signal.aborted) throw new Error('stopped before acquiring leadership');
      try {
        client = new pg.Client({ connectionString });
        client.on('error', (error) => {
          logger.warn({ err: error, lock: name }, 'leadership connection lost');
          lost.abort();
        });
        await client.connect();
        for (;;) {
          const { rows } = await client.query<{ locked: boolean }>('select pg_try_advisory_lock(hashtext($1)) as locked', [name]);
          if (rows[0]?.locked) return;
          if (signal.aborted) throw new Error('stopped before acquiring leadership');
          await new Promise((resolve) => setTimeout(resolve, 2_000));
        }
      } catch (error) {
        await client?.end().catch(() => undefined);
        if (signal.aborted) throw error;
        logger.warn({ err: error, lock: name }, 'could not try the leadership lock; retrying');
        await new Promise((resolve) => setTimeout(resolve, 2_000));
      }
    }
  })();
  return {
    acquired,
    lost: lost.signal,
    async release() {
      await client?.end().catch(() => undefined);
    },
  };
}
