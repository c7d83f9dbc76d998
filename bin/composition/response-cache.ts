import type { Logger } from 'pino';
import { createLruResponseCache, openRedisResponseCache, type ResponseCache } from '../../gateway/cache/index.js';
import type { Config } from '../../infra/config/settings.js';

/** Redis when processes share the work (services), in-process otherwise; none when disabled. */
export function openResponseCache(config: Config, logger: Logger): ResponseCache | undefined {
  if (!config.cacheEnabled) return undefined;
  if (config.profile !== 'services') return createLruResponseCache({ maxEntries: config.cacheMaxEntries, maxBytes: config.cacheMaxBytes });
  return openRedisResponseCache(config.redisUrl, {
    keyPrefix: `${config.redisKeyPrefix}cache:`,
    onError: (error, operation) => logger.warn({ err: error, operation }, 'response cache unreachable; calling the model'),
    onRecovered: () => logger.info('response cache reachable again'),
  });
}
