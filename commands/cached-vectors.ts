import type { Logger } from 'pino';
import { decodeVector, embeddingCacheKeyOf, encodeVector, type CachedEmbedding, type EmbeddingCache } from '../gateway/cache/embedding-cache.js';
import type { EmbeddingModel } from '../gateway/model-spec.js';

export interface VectorCache {
  vectors: EmbeddingCache;
  ttlMs: number;
}

export interface CachedVector {
  vector: number[];
  callId: string;
  provider: string;
  modelId: string;
}

/** What an embeddings call needs from the model, input by input. */
export interface VectorLookup {
  /** Per input: its vector from the cache, or undefined. */
  hits: (CachedVector | undefined)[];
  /** The texts the model must embed: those not cached, each once, in the order first seen. */
  toSend: string[];
  /** The cache key of each text to send. */
  keys: Map<string, string>;
}

export interface VectorLookupInput {
  tenantId: string;
  alias: string;
  inputs: readonly string[];
  /** Look nothing up: every input goes to the model (`Cache-Control: no-cache`). */
  fresh?: boolean;
}

/** Finds the inputs already embedded; without a cache, every distinct input is to be sent. */
export async function lookUpVectors(cache: VectorCache | undefined, model: EmbeddingModel, input: VectorLookupInput): Promise<VectorLookup> {
  const keyOf = (text: string) =>
    embeddingCacheKeyOf({
      tenantId: input.tenantId,
      alias: input.alias,
      provider: model.provider,
      modelId: model.modelId,
      source: model.cacheScope ?? '',
      dimensions: model.dimensions,
      text,
    });
  const keys = cache ? input.inputs.map(keyOf) : [];
  const entries = cache && !input.fresh ? await Promise.all(keys.map((key) => cache.vectors.get(key))) : [];
  const hits = input.inputs.map((_, index) => cachedVectorOf(entries[index], model.dimensions));
  const toSend: string[] = [];
  const keysToSend = new Map<string, string>();
  input.inputs.forEach((text, index) => {
    if (hits[index] || keysToSend.has(text)) return;
    toSend.push(text);
    keysToSend.set(text, keys[index] ?? '');
  });
  return { hits, toSend, keys: keysToSend };
}

/** Every input's vector in input order: the cached ones, and the model's for the rest (`fresh` answers `toSend`). */
export function vectorsInOrder(inputs: readonly string[], lookup: VectorLookup, fresh: readonly number[][]): number[][] {
  const embedded = new Map(lookup.toSend.map((text, index) => [text, fresh[index]!]));
  return inputs.map((text, index) => lookup.hits[index]?.vector ?? embedded.get(text)!);
}

/** Caches what the model just embedded; not awaited, as a cache that cannot be reached drops it. */
export function rememberVectors(
  cache: VectorCache,
  lookup: VectorLookup,
  fresh: readonly number[][],
  source: Omit<CachedEmbedding, 'vector'>,
  logger: Pick<Logger, 'warn'>,
): void {
  lookup.toSend.forEach((text, index) => {
    const vector = fresh[index];
    const key = lookup.keys.get(text);
    if (!vector || !key) return;
    cache.vectors.set(key, { ...source, vector: encodeVector(vector) }, cache.ttlMs).catch((error: unknown) => {
      logger.warn({ err: error, callId: source.callId }, 'could not cache a vector');
    });
  });
}

/** The calls that paid for the vectors served from the cache, each once. */
export function sourcesOf(hits: VectorLookup['hits']): string[] {
  return [...new Set(hits.flatMap((hit) => (hit ? [hit.callId] : [])))];
}

/** An entry is used only whole: anything garbled or foreign in it makes it a miss, not a wrong answer or a failed call. */
function cachedVectorOf(entry: CachedEmbedding | undefined, dimensions: number): CachedVector | undefined {
  if (!entry || typeof entry !== 'object') return undefined;
  const { callId, provider, modelId } = entry;
  if (![callId, provider, modelId].every((field) => typeof field === 'string' && field.length > 0 && field.length <= 200)) return undefined;
  const vector = decodeVector(entry.vector, dimensions);
  return vector && { vector, callId, provider, modelId };
}
