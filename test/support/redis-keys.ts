import { Redis } from 'ioredis';
import { testServices } from './services.js';

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
