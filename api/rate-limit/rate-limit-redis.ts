import { once } from 'node:events';
import { Redis } from 'ioredis';

/**
 * Fails fast instead of queueing while Redis is unreachable: every request waits on
 * its count, so a queued command would hold the request until Redis came back.
 */
export function connectRateLimitRedis(url: string): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 500,
    connectTimeout: 2_000,
    connectionName: 'tessera-rate-limits',
  });
  // Connection errors surface through failed counts (logged once per outage); without a listener ioredis prints each one.
  redis.on('error', () => {});
  return redis;
}

/** Resolves once the client can take commands; rejects on a connection error or after `timeoutMs`. */
export async function waitUntilReady(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis not ready within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([once(redis, 'ready'), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
