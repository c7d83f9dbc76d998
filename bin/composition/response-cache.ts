import type { Logger } from 'pino';
import { createLruResponseCache } from '../../gateway/cache/lru-response-cache.js';
import type { CachedEmbedding, EmbeddingCache } from '../../gateway/cache/embedding-cache.js';
import type { CachedResponse, ResponseCache } from '../../gateway/cache/response-cache.js';
import type { Config } from '../../infra/config/settings.js';

/** The exact-match answers and the vectors per input text, bounded the same way, in keys of their own. */
export interface Caches {
  responses: ResponseCache;
  vectors: EmbeddingCache;
  close(): Promise<void>;
}

/**
 * Redis when processes share the work (services), one client for both; in-process
 * otherwise; none when disabled. The Redis client is loaded only for the services profile.
 */
export async function openCaches(config: Config, logger: Logger): Promise<Caches | undefined> {
  if (!config.cacheEnabled) return undefined;
  if (config.profile !== 'services') {
    const bounds = { maxEntries: config.cacheMaxEntries, maxBytes: config.cacheMaxBytes };
    const responses = createLruResponseCache<CachedResponse>(bounds);
    const vectors = createLruResponseCache<CachedEmbedding>(bounds);
    return { responses, vectors, close: async () => void (await Promise.all([responses.close(), vectors.close()])) };
  }
  const { openRedisCacheClient } = await import('../../gateway/cache/redis-response-cache.js');
  const client = openRedisCacheClient(config.redisUrl);
  const inKeys = (keySpace: string, name: string) => ({
    keyPrefix: `${config.redisKeyPrefix}${keySpace}`,
    onError: (error: Error, operation: 'get' | 'set') => logger.warn({ err: error, operation }, `${name} unreachable; calling the model`),
    onRecovered: () => logger.info(`${name} reachable again`),
  });
  return {
    responses: client.cache<CachedResponse>(inKeys('cache:', 'response cache')),
    vectors: client.cache<CachedEmbedding>(inKeys('vector-cache:', 'embedding cache')),
    close: client.close,
  };
}
