import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { embeddingCacheKeyOf, encodeVector, type CachedEmbedding } from '../gateway/cache/embedding-cache.js';
import { createLruResponseCache } from '../gateway/cache/lru-response-cache.js';
import { createLocalEmbeddingModel } from '../gateway/providers/local/index.js';
import { lookUpVectors, rememberVectors, vectorsInOrder, type VectorCache } from './cached-vectors.js';

const model = createLocalEmbeddingModel({ dimensions: 4 });
const logger = pino({ level: 'silent' });
const freshCache = (): VectorCache => ({ vectors: createLruResponseCache<CachedEmbedding>({ maxEntries: 100, maxBytes: 1_000_000 }), ttlMs: 60_000 });
const request = (inputs: string[], fresh?: boolean) => ({ tenantId: 'tenant-a', alias: 'embed/default', inputs, ...(fresh && { fresh }) });
const keyOf = (text: string) =>
  embeddingCacheKeyOf({ tenantId: 'tenant-a', alias: 'embed/default', provider: model.provider, modelId: model.modelId, source: '', dimensions: 4, text });
const source = { callId: 'call-1', provider: 'local', modelId: 'local-lexical', createdAt: '2026-11-25T00:00:00.000Z' };

describe('vectors looked up before an embeddings call', () => {
  it('sends each text the cache lacks once, and puts every vector back in its input\'s place', async () => {
    const lookup = await lookUpVectors(undefined, model, request(['a', 'b', 'a', 'c', 'b']));
    expect(lookup.toSend).toEqual(['a', 'b', 'c']);
    expect(vectorsInOrder(['a', 'b', 'a', 'c', 'b'], lookup, [[1], [2], [3]])).toEqual([[1], [2], [1], [3], [2]]);
  });

  it('answers what a call before embedded, and sends only the rest', async () => {
    const cache = freshCache();
    const first = await lookUpVectors(cache, model, request(['a', 'b']));
    rememberVectors(cache, first, [[1, 2, 3, 4], [5, 6, 7, 8]], source, logger);
    const second = await lookUpVectors(cache, model, request(['c', 'b', 'a']));
    expect(second.toSend).toEqual(['c']);
    expect(second.hits.map((hit) => hit?.callId)).toEqual([undefined, 'call-1', 'call-1']);
    expect(vectorsInOrder(['c', 'b', 'a'], second, [[9, 9, 9, 9]])).toEqual([[9, 9, 9, 9], [5, 6, 7, 8], [1, 2, 3, 4]]);
    // Asked for fresh vectors, it looks nothing up.
    expect((await lookUpVectors(cache, model, request(['a', 'b'], true))).toSend).toEqual(['a', 'b']);
  });

  it('takes an entry it cannot use whole as a miss', async () => {
    const cache = freshCache();
    const good = { ...source, vector: encodeVector([1, 2, 3, 4]) };
    await cache.vectors.set(keyOf('short'), { ...good, vector: encodeVector([1, 2]) }, 60_000);
    await cache.vectors.set(keyOf('no call'), { ...good, callId: '' }, 60_000);
    await cache.vectors.set(keyOf('not base64 floats'), { ...good, vector: 'bm90IGZsb2F0cw' }, 60_000);
    await cache.vectors.set(keyOf('good'), good, 60_000);
    const lookup = await lookUpVectors(cache, model, request(['short', 'no call', 'not base64 floats', 'good']));
    expect(lookup.toSend).toEqual(['short', 'no call', 'not base64 floats']);
    expect(lookup.hits[3]?.vector).toEqual([1, 2, 3, 4]);
  });
});
