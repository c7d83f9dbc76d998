import type { Logger } from 'pino';
import { createLruResponseCache } from '../../gateway/cache/lru-response-cache.js';
import type { CachedEmbedding, EmbeddingCache } from '../../gateway/cache/embedding-cache.js';
import type { CachedResponse, ResponseCache } from '../../gateway/cache/response-cache.js';
import type { Config } from '../../infra/config/settings.js';

/**
 * Redis when processes share the work (services), in-process otherwise; none when
 * disabled. The Redis client is loaded only for the services profile.
 */
export async function openResponseCache(config: Config, logger: Logger): Promise<ResponseCache | undefined> {
  return openCache<CachedResponse>(config, logger, { keySpace: 'cache:', name: 'response cache' });
}

/** Vectors per input text, beside the answers and bounded the same way, in keys of their own. */
export async function openEmbeddingCache(config: Config, logger: Logger): Promise<EmbeddingCache | undefined> {
  return openCache<CachedEmbedding>(config, logger, { keySpace: 'vector-cache:', name: 'embedding cache' });
}

async function openCache<Value>(config: Config, logger: Logger, what: { keySpace: string; name: string }): Promise<ResponseCache<Value> | undefined> {
  if (!config.cacheEnabled) return undefined;
  if (config.profile !== 'services') return createLruResponseCache<Value>({ maxEntries: config.cacheMaxEntries, maxBytes: config.cacheMaxBytes });
  const { openRedisResponseCache } = await import('../../gateway/cache/redis-response-cache.js');
  return openRedisResponseCache<Value>(config.redisUrl, {
    keyPrefix: `${config.redisKeyPrefix}${what.keySpace}`,
    onError: (error, operation) => logger.warn({ err: error, operation }, `${what.name} unreachable; calling the model`),
    onRecovered: () => logger.info(`${what.name} reachable again`),
  });
}
