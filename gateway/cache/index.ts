export { cacheKeyOf, isCacheable, type CacheKeyInput } from './cache-key.js';
export { canonicalJson } from './canonical-json.js';
export { createLruResponseCache, type LruResponseCacheOptions } from './lru-response-cache.js';
export {
  connectCacheRedis,
  createRedisResponseCache,
  openRedisCacheClient,
  type RedisConnectionOptions,
  type RedisResponseCacheOptions,
} from './redis-response-cache.js';
export type { CachedResponse, CacheHealthListener, ResponseCache } from './response-cache.js';
