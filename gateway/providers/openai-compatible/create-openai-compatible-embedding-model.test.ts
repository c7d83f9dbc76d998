import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../../../test/support/fake-upstream/index.js';
import { ModelCallError } from '../../model-call-error.js';
import { cosineSimilarity } from '../local/lexical-embedding.js';
import { createOpenAiCompatibleEmbeddingModel } from './create-openai-compatible-embedding-model.js';

let upstream: FakeUpstream;
beforeAll(async () => {
  upstream = await startFakeUpstream();
});
afterAll(() => upstream.close());

const connection = (): { baseUrl: string; apiKey: string } => ({ baseUrl: upstream.url, apiKey: 'test-key' });

describe('createOpenAiCompatibleEmbeddingModel', () => {
  it('returns one vector per value, in input order, asking for floats', async () => {
    const model = createOpenAiCompatibleEmbeddingModel({ ...connection(), modelId: 'fake-embed', dimensions: 256 });
    const { embeddings, usage } = await model.embed(['the cat sat on the mat', 'stock market news', 'a cat sat on a mat']);
    expect(embeddings).toHaveLength(3);
    const [cat, market, otherCat] = embeddings as [number[], number[], number[]];
    expect(cosineSimilarity(cat, otherCat)).toBeGreaterThan(cosineSimilarity(cat, market));
    expect(usage.inputTokens).toBeGreaterThan(0);
    expect(upstream.requests.at(-1)?.body).toMatchObject({ model: 'fake-embed', encoding_format: 'float' });
    expect(upstream.requests.at(-1)?.body).not.toHaveProperty('dimensions');
  });

  it('asks for shortened vectors only when told to', async () => {
    const model = createOpenAiCompatibleEmbeddingModel({ ...connection(), modelId: 'fake-embed', dimensions: 64, requestDimensions: true });
    const { embeddings } = await model.embed(['hello']);
    expect(embeddings[0]).toHaveLength(64);
    expect(upstream.requests.at(-1)?.body).toMatchObject({ dimensions: 64 });
  });

  it('rejects vectors of another size than configured as the deployment\'s failure, not the request\'s', async () => {
    const model = createOpenAiCompatibleEmbeddingModel({ ...connection(), modelId: 'fake-embed', dimensions: 1536 });
    await expect(model.embed(['hello'])).rejects.toSatisfy((error: ModelCallError) => error.kind === 'server' && error.message.includes("check the deployment's configuration"));
  });

  it('maps upstream failures to ModelCallError', async () => {
    const model = createOpenAiCompatibleEmbeddingModel({ ...connection(), modelId: 'fake-fail-503', dimensions: 256 });
    const error: unknown = await model.embed(['hello']).catch((thrown: unknown) => thrown);
    expect(ModelCallError.isInstance(error) && error.kind).toBe('server');
  });

  it('makes no request for no values', async () => {
    const model = createOpenAiCompatibleEmbeddingModel({ ...connection(), modelId: 'fake-embed', dimensions: 256 });
    const before = upstream.requests.length;
    expect(await model.embed([])).toEqual({ embeddings: [], usage: { inputTokens: 0 } });
    expect(upstream.requests).toHaveLength(before);
  });
});
