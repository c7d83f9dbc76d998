import type { FastifyBaseLogger } from 'fastify';
import { createInProcessRateLimitCounter } from './in-process-rate-limit-counter.js';
import type { RateLimitCounter } from './rate-limit-counter.js';
import { createRateLimits, type RateLimitSettings } from './rate-limits.js';
import type { ApiRateLimits } from './register-rate-limits.js';
import { modelRouteTokenEstimators, type AliasEncoding } from './token-estimates.js';
import { withCountedAhead } from './counted-ahead.js';
import { withLocalFallback } from './with-local-fallback.js';

export interface OpenRateLimitsOptions {
  limits: RateLimitSettings;
  /** Counters shared by every API process (services profile); without it they live in this process. */
  redis?: { url: string; keyPrefix: string };
  /** Output tokens a model call may produce when a request does not say (the turn default). */
  defaultMaxOutputTokens: number;
  /** Services profile: more calls' worth each trip to Redis counts ahead (TESSERA_RATE_LIMIT_COUNT_AHEAD). */
  callsAhead?: number;
  /** How each alias's tokens are counted. */
  encodingOf: AliasEncoding;
  logger: FastifyBaseLogger;
}

/** The API's rate limits, or undefined when no limit is set (then nothing is counted and Redis is never opened). */
export async function openRateLimits(options: OpenRateLimitsOptions): Promise<ApiRateLimits | undefined> {
  if (Object.values(options.limits).every((limit) => limit <= 0)) return undefined;
  const local = createInProcessRateLimitCounter();
  let counter: RateLimitCounter = local;
  if (options.redis) {
    const { logger } = options;
    // Loaded here: a process that shares no counters never loads the Redis client.
    const { connectRateLimitRedis, waitUntilReady } = await import('./rate-limit-redis.js');
    const { createRedisRateLimitCounter } = await import('./redis-rate-limit-counter.js');
    const redis = connectRateLimitRedis(options.redis.url);
    try {
      await waitUntilReady(redis, 2_000);
    } catch (error) {
      logger.warn({ err: error }, 'Redis unreachable at start; rate limits count per process until it answers');
    }
    counter = withLocalFallback(createRedisRateLimitCounter(redis, { keyPrefix: options.redis.keyPrefix, ownsClient: true }), local, {
      onUnavailable: (error) => logger.warn({ err: error }, 'Redis unreachable; rate limits count per process until it answers'),
      onRecovered: () => logger.info('Redis answers again; rate limits are shared across API processes'),
    });
    if (options.callsAhead) counter = withCountedAhead(counter, { callsAhead: options.callsAhead });
  }
  return { limits: createRateLimits(counter, options.limits), tokenEstimators: modelRouteTokenEstimators(options.defaultMaxOutputTokens, options.encodingOf) };
}
