import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createInProcessRateLimitCounter } from './in-process-rate-limit-counter.js';
import { connectRateLimitRedis } from './rate-limit-redis.js';
import { describeRateLimitCounterContract } from './rate-limit-counter.contract.js';
import { createRedisRateLimitCounter } from './redis-rate-limit-counter.js';
import { withLocalFallback } from './with-local-fallback.js';
import { closedPort } from '../../test/support/closed-port.js';
import { deleteRedisKeys, readyRateLimitRedis } from '../../test/support/redis-keys.js';

describeRateLimitCounterContract('in-process', async () => {
  const counter = createInProcessRateLimitCounter();
  return { counter, peer: counter, teardown: () => counter.close() };
});

describeRateLimitCounterContract('redis', async () => {
  // Two clients, as two API processes would have; a prefix of its own so runs never share counters.
  const keyPrefix = `test:${randomUUID()}:rate-limit:`;
  const counter = createRedisRateLimitCounter(await readyRateLimitRedis(), { keyPrefix, ownsClient: true });
  const peer = createRedisRateLimitCounter(await readyRateLimitRedis(), { keyPrefix, ownsClient: true });
  return {
    counter,
    peer,
    async teardown() {
      await deleteRedisKeys(keyPrefix);
      await counter.close();
      await peer.close();
    },
  };
});

describe('in-process counter', () => {
  it('forgets ended windows once it holds more counters than its sweep bound', async () => {
    let now = 0;
    const counter = createInProcessRateLimitCounter({ now: () => now, sweepAbove: 2 });
    await counter.consume([{ id: 'a', limit: 1, amount: 1 }], 100);
    await counter.consume([{ id: 'b', limit: 1, amount: 1 }], 100);
    now = 200;
    await counter.consume([{ id: 'c', limit: 1, amount: 1 }], 100);
    // a and b were swept with their windows over: each starts again from zero.
    const again = await counter.consume([{ id: 'a', limit: 5, amount: 1 }, { id: 'b', limit: 5, amount: 1 }], 100);
    expect(again.allowed && again.counters.map((state) => state.used)).toEqual([1, 1]);
  });
});

describe('redis counter', () => {
  it('expires its counters with the window, leaving nothing behind in Redis', async () => {
    const keyPrefix = `test:${randomUUID()}:rate-limit:`;
    const redis = await readyRateLimitRedis();
    const counter = createRedisRateLimitCounter(redis, { keyPrefix, ownsClient: true });
    try {
      await counter.consume([{ id: 'one', limit: 5, amount: 2 }], 5_000);
      const ttl = await redis.pttl(`${keyPrefix}one`);
      expect(ttl).toBeGreaterThan(4_000);
      expect(ttl).toBeLessThanOrEqual(5_000);
      expect(await redis.get(`${keyPrefix}one`)).toBe('2');
    } finally {
      await deleteRedisKeys(keyPrefix);
      await counter.close();
    }
  });
});

describe('shared counters with a local fallback', () => {
  it('keeps limiting in this process when Redis cannot be reached, and reports the outage once', async () => {
    const port = await closedPort();
    const redis = connectRateLimitRedis(`redis://127.0.0.1:${port}`);
    const reported: Error[] = [];
    const counter = withLocalFallback(createRedisRateLimitCounter(redis, { keyPrefix: 'unreachable:', ownsClient: true }), createInProcessRateLimitCounter(), {
      onUnavailable: (error) => reported.push(error),
      onRecovered: () => reported.push(new Error('recovered')),
    });
    try {
      const started = Date.now();
      const results = [];
      for (let attempt = 0; attempt < 4; attempt += 1) results.push(await counter.consume([{ id: 'key', limit: 3, amount: 1 }], 10_000));
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(results.map((result) => result.allowed)).toEqual([true, true, true, false]);
      expect(reported).toHaveLength(1);
      expect(reported[0]!.message).not.toBe('recovered');
    } finally {
      await counter.close();
    }
  });
});
