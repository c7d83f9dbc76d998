import type { Redis, Result } from 'ioredis';
import type { ConsumeResult, CounterState, RateLimitCounter } from './rate-limit-counter.js';

/**
 * All-or-nothing fixed windows in one round trip. First every counter is checked for
 * room for its amount; only if all have it is each amount added (INCRBY), and a
 * counter's first use starts its window (PEXPIRE). Then each counter asked to count
 * ahead does so if the room it would leave is at least its `keepFree`. A script runs
 * atomically, so API processes sharing the Redis never both take the last unit.
 *
 * KEYS: the counters. ARGV: window in ms, then per counter its limit, amount, amount
 * ahead and room to keep free. Returns {0, used1, ttl1, ahead1, used2, …} when allowed,
 * {index, used, ttl} when the counter at (1-based) index has no room.
 */
const CONSUME_SCRIPT = `
local window = tonumber(ARGV[1])
for index, key in ipairs(KEYS) do
  local base = index * 4 - 2
  local used = tonumber(redis.call('GET', key) or '0')
  if used + tonumber(ARGV[base + 1]) > tonumber(ARGV[base]) then
    local ttl = redis.call('PTTL', key)
    if ttl < 0 then ttl = window end
    return {index, used, ttl}
  end
end
local result = {0}
for index, key in ipairs(KEYS) do
  local base = index * 4 - 2
  local limit = tonumber(ARGV[base])
  local used = redis.call('INCRBY', key, ARGV[base + 1])
  local ahead = tonumber(ARGV[base + 2])
  if ahead > 0 and limit - used - ahead >= tonumber(ARGV[base + 3]) then
    used = redis.call('INCRBY', key, ahead)
  else
    ahead = 0
  end
  local ttl = redis.call('PTTL', key)
  if ttl < 0 then
    redis.call('PEXPIRE', key, window)
    ttl = window
  end
  result[#result + 1] = used
  result[#result + 1] = ttl
  result[#result + 1] = ahead
end
return result
`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    tesseraConsumeRateLimits(numberOfKeys: number, ...keysAndArguments: (string | number)[]): Result<number[], Context>;
  }
}

export interface RedisRateLimitCounterOptions {
  /** Prepended to every counter id, e.g. `tessera:rate-limit:`. */
  keyPrefix: string;
  /** Quit the client on close (it was made for these counters). */
  ownsClient?: boolean;
}

/** Counters every API process of the services profile shares. */
export function createRedisRateLimitCounter(redis: Redis, options: RedisRateLimitCounterOptions): RateLimitCounter {
  // defineCommand sends EVALSHA and falls back to EVAL once when Redis has not seen the script.
  redis.defineCommand('tesseraConsumeRateLimits', { lua: CONSUME_SCRIPT });
  return {
    async consume(counters, windowMs): Promise<ConsumeResult> {
      if (counters.length === 0) return { allowed: true, counters: [] };
      const reply = await redis.tesseraConsumeRateLimits(
        counters.length,
        ...counters.map((counter) => options.keyPrefix + counter.id),
        Math.max(1, Math.round(windowMs)),
        ...counters.flatMap((counter) => [counter.limit, counter.amount, counter.ahead?.amount ?? 0, counter.ahead?.keepFree ?? 0]),
      );
      const [refused = 0, ...rest] = reply;
      if (refused > 0) return { allowed: false, refusedIndex: refused - 1, counter: { used: rest[0] ?? 0, resetInMs: rest[1] ?? windowMs } };
      const states: CounterState[] = [];
      for (let index = 0; index < rest.length; index += 3) states.push({ used: rest[index]!, resetInMs: rest[index + 1]!, countedAhead: rest[index + 2]! });
      return { allowed: true, counters: states };
    },
    async close() {
      if (!options.ownsClient || redis.status === 'end') return;
      try {
        await redis.quit();
      } catch {
        redis.disconnect();
      }
    },
  };
}
