import type { Logger } from 'pino';
import { createLruResponseCache } from '../../gateway/cache/lru-response-cache.js';
import type { ResponseCache } from '../../gateway/cache/response-cache.js';
import type { Config } from '../../infra/config/settings.js';

/**
 * Redis when processes share the work (services), in-process otherwise; none when
 * disabled. The Redis client is loaded only for the services profile.
 */
export async function openResponseCache(config: Config, logger: Logger): Promise<ResponseCache | undefined> {
  if (!config.cacheEnabled) return undefined;
  if (config.profile !== 'services') return createLruResponseCache({ maxEntries: config.cacheMaxEntries, maxBytes: config.cacheMaxBytes });
  const { openRedisResponseCache } = await import('../../gateway/cache/redis-response-cache.js');
  return openRedisResponseCache(config.redisUrl, {
    keyPrefix: `${config.redisKeyPrefix}cache:`,
    onError: (error, operation) => logger.warn({ err: error, operation }, 'response cache unreachable; calling the model'),
    onRecovered: () => logger.info('response cache reachable again'),
  });
}
