import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createLruResponseCache } from './lru-response-cache.js';
import { cachedResponse } from './response-cache.contract.js';
import type { CachedResponse } from './response-cache.js';

/**
 * The contract (response-cache.contract.ts) already checks that one entry is forgotten
 * after its time to live, and response-cache.test.ts that the entry and byte bounds
 * evict the least recently written entry and refuse one far over the bound. These are
 * the edges neither reaches: reads and rewrites against the time to live, bytes as
 * UTF-8 rather than characters, and the bound exactly.
 */
const bytesOf = (value: CachedResponse): number => Buffer.byteLength(JSON.stringify(value));
const ROOMY = { maxEntries: 1_000, maxBytes: 1024 * 1024 };

describe('the in-process LRU cache and time', () => {
  it('serves an entry no longer than its time to live after it was cached, however often it is read meanwhile', async () => {
    const cache = createLruResponseCache(ROOMY);
    const ttlMs = 600;
    const cachedAt = performance.now();
    await cache.set('busy', cachedResponse({ text: 'popular answer' }), ttlMs);
    // A hot entry read all along: were reads to renew it, it would outlive TESSERA_CACHE_TTL_MS indefinitely.
    let reads = 0;
    while (performance.now() - cachedAt < ttlMs / 2) {
      expect((await cache.get('busy'))?.text).toBe('popular answer');
      reads += 1;
      await sleep(25);
    }
    expect(reads).toBeGreaterThan(3);
    await sleep(Math.max(0, cachedAt + ttlMs + 100 - performance.now()));
    expect(await cache.get('busy')).toBeUndefined();
  });

  it('gives each entry its own time to live, and caching under a key again starts it afresh', async () => {
    const cache = createLruResponseCache(ROOMY);
    await cache.set('short', cachedResponse({ text: 'short' }), 250);
    await cache.set('long', cachedResponse({ text: 'long' }), 60_000);
    await cache.set('renewed', cachedResponse({ text: 'first' }), 250);
    await sleep(100);
    await cache.set('renewed', cachedResponse({ text: 'second' }), 60_000);
    await sleep(300);

    expect(await cache.get('short')).toBeUndefined();
    expect((await cache.get('long'))?.text).toBe('long');
    expect((await cache.get('renewed'))?.text).toBe('second');
  });
});

describe('the in-process LRU cache and its byte bound', () => {
  it('counts UTF-8 bytes of the JSON, so text in a non-Latin script fills it sooner than its length in characters', async () => {
    const latin = cachedResponse({ text: 'e'.repeat(400) });
    const accented = cachedResponse({ text: 'é'.repeat(400) });
    // Same length in characters; 400 bytes apart once encoded.
    expect(JSON.stringify(accented).length).toBe(JSON.stringify(latin).length);
    expect(bytesOf(accented)).toBe(bytesOf(latin) + 400);
    const options = { maxEntries: 1_000, maxBytes: 2 * bytesOf(latin) + 100 };

    const latinCache = createLruResponseCache(options);
    await latinCache.set('first', latin, 60_000);
    await latinCache.set('second', latin, 60_000);
    expect(await latinCache.get('first')).toBeDefined();
    expect(await latinCache.get('second')).toBeDefined();

    // Counted in characters both would fit; in bytes they do not, and the older goes.
    const accentedCache = createLruResponseCache(options);
    await accentedCache.set('first', accented, 60_000);
    await accentedCache.set('second', accented, 60_000);
    expect(await accentedCache.get('first')).toBeUndefined();
    expect(await accentedCache.get('second')).toEqual(accented);
  });

  it('counts a read as use: the entry read last survives the eviction the next write forces', async () => {
    const entry = (text: string) => cachedResponse({ text: text.repeat(500) });
    const cache = createLruResponseCache({ maxEntries: 1_000, maxBytes: Math.floor(bytesOf(entry('a')) * 2.5) });
    await cache.set('a', entry('a'), 60_000);
    await cache.set('b', entry('b'), 60_000);
    await cache.get('a');
    await cache.set('c', entry('c'), 60_000);

    expect(await cache.get('b')).toBeUndefined();
    expect((await cache.get('a'))?.text).toBe('a'.repeat(500));
    expect((await cache.get('c'))?.text).toBe('c'.repeat(500));
  });

  it('keeps an entry exactly as large as the bound, evicting every other, but not one a byte larger, which leaves nothing stale under its key', async () => {
    const exact = cachedResponse({ text: 'x'.repeat(2_000) });
    const cache = createLruResponseCache({ maxEntries: 1_000, maxBytes: bytesOf(exact) });
    await cache.set('small-1', cachedResponse({ text: 'one' }), 60_000);
    await cache.set('small-2', cachedResponse({ text: 'two' }), 60_000);

    await cache.set('answer', exact, 60_000);
    expect(await cache.get('answer')).toEqual(exact);
    expect(await cache.get('small-1')).toBeUndefined();
    expect(await cache.get('small-2')).toBeUndefined();

    // A newer answer under the key that cannot be kept must not leave the older one to be served in its place.
    const tooLarge = cachedResponse({ text: 'y'.repeat(2_001) });
    expect(bytesOf(tooLarge)).toBe(bytesOf(exact) + 1);
    await cache.set('answer', tooLarge, 60_000);
    expect(await cache.get('answer')).toBeUndefined();
  });
});
