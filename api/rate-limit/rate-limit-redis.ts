import type { Redis } from 'ioredis';
import { connectFailFastRedis } from '../../infra/redis/fail-fast-redis.js';

export { waitUntilReady } from '../../infra/redis/fail-fast-redis.js';

/** Every request waits on its count, so a count slower than this fails (and falls back to counting in this process). */
export function connectRateLimitRedis(url: string): Redis {
  return connectFailFastRedis(url, { connectionName: 'tessera-rate-limits', commandTimeoutMs: 500 });
}
