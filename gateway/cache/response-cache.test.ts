import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { testServices } from '../../test/support/services.js';
import { createLruResponseCache } from './lru-response-cache.js';
import { connectCacheRedis, createRedisResponseCache } from './redis-response-cache.js';
import { waitUntilReady } from '../../infra/redis/fail-fast-redis.js';
import { cachedResponse, describeResponseCacheContract } from './response-cache.contract.js';
import { closedPort } from '../../test/support/closed-port.js';
import { deleteRedisKeys } from '../../test/support/redis-keys.js';

describeResponseCacheContract('in-process LRU', async () => {
  const cache = createLruResponseCache({ maxEntries: 1_000, maxBytes: 1024 * 1024 });
  return { cache, peer: cache, teardown: () => cache.close() };
});

describeResponseCacheContract('redis', async () => {
  // Two clients, as two workers would have; a prefix of its own so runs never share entries.
  const keyPrefix = `test:${randomUUID()}:cache:`;
  const cache = createRedisResponseCache(await readyRedis(), { keyPrefix, ownsClient: true });
  const peer = createRedisResponseCache(await readyRedis(), { keyPrefix, ownsClient: true });
  return {
    cache,
    peer,
    async teardown() {
      await deleteRedisKeys(keyPrefix);
      await cache.close();
      await peer.close();
    },
  };
});

describe('the in-process LRU cache', () => {
  it('holds at most its entry bound, evicting the least recently used first', async () => {
    const cache = createLruResponseCache({ maxEntries: 3, maxBytes: 1024 * 1024 });
    for (const key of ['a', 'b', 'c']) await cache.set(key, cachedResponse({ text: key }), 60_000);
    await cache.get('a');
    await cache.set('d', cachedResponse({ text: 'd' }), 60_000);
    expect(await cache.get('b')).toBeUndefined();
    expect((await Promise.all(['a', 'c', 'd'].map((key) => cache.get(key)))).map((value) => value?.text)).toEqual(['a', 'c', 'd']);
  });

  it('holds at most its byte bound, evicting the least recently used first, and keeps nothing larger than the bound', async () => {
    const entryBytes = Buffer.byteLength(JSON.stringify(cachedResponse({ text: 'x'.repeat(1_000) })));
    const cache = createLruResponseCache({ maxEntries: 1_000, maxBytes: Math.floor(entryBytes * 2.5) });
    await cache.set('a', cachedResponse({ text: 'x'.repeat(1_000) }), 60_000);
    await cache.set('b', cachedResponse({ text: 'y'.repeat(1_000) }), 60_000);
    await cache.set('c', cachedResponse({ text: 'z'.repeat(1_000) }), 60_000);
    expect(await cache.get('a')).toBeUndefined();
    expect(await cache.get('b')).toBeDefined();
    expect(await cache.get('c')).toBeDefined();

    await cache.set('huge', cachedResponse({ text: 'h'.repeat(entryBytes * 3) }), 60_000);
    expect(await cache.get('huge')).toBeUndefined();
    expect(await cache.get('c')).toBeDefined();
  });
});

describe('the Redis cache', () => {
  it('stores JSON under its prefix with a time to live (SET PX)', async () => {
    const keyPrefix = `test:${randomUUID()}:cache:`;
    const redis = await readyRedis();
    const cache = createRedisResponseCache(redis, { keyPrefix, ownsClient: true });
    try {
      const value = cachedResponse();
      await cache.set('entry', value, 30_000);
      expect(JSON.parse((await redis.get(`${keyPrefix}entry`))!)).toEqual(value);
      const ttl = await redis.pttl(`${keyPrefix}entry`);
      expect(ttl).toBeGreaterThan(25_000);
      expect(ttl).toBeLessThanOrEqual(30_000);
    } finally {
      await deleteRedisKeys(keyPrefix);
      await cache.close();
    }
  });

  it('misses, without throwing, on an entry that is not JSON', async () => {
    const keyPrefix = `test:${randomUUID()}:cache:`;
    const redis = await readyRedis();
    const errors: string[] = [];
    const cache = createRedisResponseCache(redis, { keyPrefix, ownsClient: true, onError: (_error, operation) => errors.push(operation) });
    try {
      await redis.set(`${keyPrefix}garbled`, '{not json', 'PX', 30_000);
      expect(await cache.get('garbled')).toBeUndefined();
      expect(errors).toEqual(['get']);
    } finally {
      await deleteRedisKeys(keyPrefix);
      await cache.close();
    }
  });

  it('misses and drops stores at once while Redis is unreachable, reporting the outage once', async () => {
    const errors: { error: Error; operation: string }[] = [];
    const cache = createRedisResponseCache(connectCacheRedis(`redis://127.0.0.1:${await closedPort()}`), {
      keyPrefix: 'unreachable:',
      ownsClient: true,
      onError: (error, operation) => errors.push({ error, operation }),
    });
    try {
      const started = performance.now();
      for (let attempt = 0; attempt < 5; attempt += 1) {
        expect(await cache.get('anything')).toBeUndefined();
        await expect(cache.set('anything', cachedResponse(), 60_000)).resolves.toBeUndefined();
      }
      expect(performance.now() - started).toBeLessThan(500);
      expect(errors.map((entry) => entry.operation)).toEqual(['get']);
      expect(errors[0]!.error).toBeInstanceOf(Error);
    } finally {
      await cache.close();
    }
  });
});

async function readyRedis(): Promise<Redis> {
  const redis = connectCacheRedis(testServices.redisUrl);
  await waitUntilReady(redis, 5_000);
  return redis;
}
