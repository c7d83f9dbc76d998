import { LRUCache } from 'lru-cache';
import type { CachedResponse, ResponseCache } from './response-cache.js';

export interface LruResponseCacheOptions {
  maxEntries: number;
  /** Bound on the UTF-8 bytes of the cached JSON; an entry larger than this is not kept. */
  maxBytes: number;
}

/**
 * The in-process cache of the embedded profile. Entries are kept as JSON text, so the
 * byte bound is measured rather than guessed and a caller that mutates what `get`
 * returned cannot change what the next caller gets.
 */
export function createLruResponseCache<Value = CachedResponse>(options: LruResponseCacheOptions): ResponseCache<Value> {
  const entries = new LRUCache<string, string>({
    max: options.maxEntries,
    maxSize: options.maxBytes,
    sizeCalculation: (json) => Math.max(1, Buffer.byteLength(json)),
  });
  return {
    async get(key) {
      const json = entries.get(key);
      return json === undefined ? undefined : (JSON.parse(json) as Value);
    },
    async set(key, value, ttlMs) {
      entries.set(key, JSON.stringify(value), { ttl: ttlMs });
    },
    async close() {
      entries.clear();
    },
  };
}
