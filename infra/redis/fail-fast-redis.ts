import { once } from 'node:events';
import { Redis } from 'ioredis';

export interface FailFastRedisOptions {
  /** Shown in `CLIENT LIST`. */
  connectionName: string;
  /** A reply slower than this fails the command; a hung Redis must not hold a request for the client's default (none). */
  commandTimeoutMs: number;
}

/**
 * A client that fails fast instead of queueing while Redis is unreachable: callers
 * (a cache lookup, a rate-limit count) sit on a request's path and have a fallback,
 * so a queued command would only hold the request until Redis came back.
 */
export function connectFailFastRedis(url: string, options: FailFastRedisOptions): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: options.commandTimeoutMs,
    connectTimeout: 2_000,
    connectionName: options.connectionName,
  });
  // Connection errors surface through the failed commands (reported once per outage by the callers); without a listener ioredis prints each one.
  redis.on('error', () => {});
  return redis;
}

/** Resolves once the client can take commands; rejects after `timeoutMs`. */
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
