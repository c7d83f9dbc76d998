import type { Redis } from 'ioredis';
import { connectFailFastRedis } from '../../infra/redis/fail-fast-redis.js';
import { createOutageReporter } from './outage-reporter.js';
import type { CachedResponse, CacheHealthListener, ResponseCache } from './response-cache.js';

export interface RedisResponseCacheOptions extends CacheHealthListener {
  /** Prepended to every key, e.g. `tessera:cache:`. */
  keyPrefix: string;
  /** Answers larger than this (UTF-8 bytes of JSON) are not cached; Redis's own `maxmemory` bounds the total. */
  maxEntryBytes?: number;
  /** Quit the client on close (it was made for this cache). */
  ownsClient?: boolean;
}

/**
 * The cache of the services profile, shared by every worker: one GET per lookup, one
 * SET with PX per store, values as JSON. A failure of any kind is a miss (or a dropped
 * store), never an error in the model call.
 */
export function createRedisResponseCache<Value = CachedResponse>(redis: Redis, options: RedisResponseCacheOptions): ResponseCache<Value> {
  const outage = createOutageReporter(options);
  const maxEntryBytes = options.maxEntryBytes ?? 4 * 1024 * 1024;
  return {
    async get(key) {
      let json: string | null;
      try {
        json = await redis.get(options.keyPrefix + key);
        outage.succeeded();
      } catch (error) {
        outage.failed(error, 'get');
        return undefined;
      }
      if (json === null) return undefined;
      try {
        return JSON.parse(json) as Value;
      } catch (error) {
        // Not an outage: one entry some other writer garbled. Each is reported.
        options.onError?.(error as Error, 'get');
        return undefined;
      }
    },
    async set(key, value, ttlMs) {
      const json = JSON.stringify(value);
      if (Buffer.byteLength(json) > maxEntryBytes) return;
      try {
        await redis.set(options.keyPrefix + key, json, 'PX', Math.max(1, Math.round(ttlMs)));
        outage.succeeded();
      } catch (error) {
        outage.failed(error, 'set');
      }
    },
    async close() {
      if (options.ownsClient) await quit(redis);
    },
  };
}

export interface RedisConnectionOptions {
  /**
   * A reply slower than this counts as a miss. A hit must stay far below a model
   * call; a hung Redis must not hold every call for the client's default (none).
   */
  commandTimeoutMs?: number;
}

/** A lookup that fails or is slow is a miss: it costs nothing but the model call itself. */
export function connectCacheRedis(url: string, options: RedisConnectionOptions = {}): Redis {
  return connectFailFastRedis(url, { connectionName: 'tessera-cache', commandTimeoutMs: options.commandTimeoutMs ?? 250 });
}

/** One client for the caches of every kind (answers, vectors), each in keys of its own; closing it ends them all. */
export function openRedisCacheClient(url: string, options: RedisConnectionOptions = {}) {
  const redis = connectCacheRedis(url, options);
  return {
    cache: <Value = CachedResponse>(cacheOptions: Omit<RedisResponseCacheOptions, 'ownsClient'>): ResponseCache<Value> => createRedisResponseCache<Value>(redis, cacheOptions),
    close: () => quit(redis),
  };
}

async function quit(redis: Redis): Promise<void> {
  if (redis.status === 'end') return;
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}
