import type { ModelFinishReason, ModelToolCall, ModelUsage } from '../model-spec.js';

/** A model answer kept for identical deterministic requests. */
export interface CachedResponse {
  /** The model call that produced this answer; a hit records it as its source. */
  callId: string;
  text: string;
  toolCalls: ModelToolCall[];
  finishReason: ModelFinishReason;
  usage: ModelUsage;
  provider: string;
  modelId: string;
  responseModelId: string;
  /** ISO 8601 time the answer was cached. */
  createdAt: string;
}

/**
 * The exact-match response cache port: model answers (keys from `cacheKeyOf`) or, as
 * `ResponseCache<CachedEmbedding>`, vectors (keys from `embeddingCacheKeyOf`); a cache is an
 * optimisation, so no method ever throws because its store is unreachable.
 */
export interface ResponseCache<Value = CachedResponse> {
  /** The answer cached under this key, or undefined on a miss (including a store that cannot be reached). */
  get(key: string): Promise<Value | undefined>;
  /** Caches an answer for `ttlMs`; a store that cannot be reached drops it. */
  set(key: string, value: Value, ttlMs: number): Promise<void>;
  /** Releases the connection or memory the cache holds. */
  close(): Promise<void>;
}

/** How an adapter reports that its store failed and, later, that it answers again. */
export interface CacheHealthListener {
  /** The first failure of an outage: later ones stay quiet until the store answers again. */
  onError?(error: Error, operation: 'get' | 'set'): void;
  onRecovered?(): void;
}
