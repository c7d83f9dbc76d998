import { Redis } from 'ioredis';
import { connectRateLimitRedis, waitUntilReady } from '../../api/rate-limit/rate-limit-redis.js';
import { testServices } from './services.js';

/** A client as the API's rate limits connect it, once it answers. */
export async function readyRateLimitRedis(): Promise<Redis> {
  const redis = connectRateLimitRedis(testServices.redisUrl);
  await waitUntilReady(redis, 5_000);
  return redis;
}

/** Removes what a test wrote under its own key prefix on the shared Redis. */
export async function deleteRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis(testServices.redisUrl);
  try {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    await redis.quit();
  }
}
