import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLocalEmbeddingModel } from './create-local-embedding-model.js';
import { cosineSimilarity, embedLexically } from './lexical-embedding.js';

const length = (vector: readonly number[]): number => Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0));
const textWithWords = fc
  .array(fc.stringMatching(/^[a-zA-Z0-9]{1,10}$/), { minLength: 1, maxLength: 30 })
  .map((words) => words.join(' '));

describe('createLocalEmbeddingModel', () => {
  it('embeds deterministically to unit-length vectors of the configured size', async () => {
    const model = createLocalEmbeddingModel({ dimensions: 64 });
    await fc.assert(
      fc.asyncProperty(textWithWords, fc.integer({ min: 1, max: 512 }), async (text, dimensions) => {
        const first = embedLexically(text, dimensions);
        expect(first).toHaveLength(dimensions);
        expect(embedLexically(text, dimensions)).toEqual(first);
        expect(length(first)).toBeCloseTo(1, 9);
        const [viaModel] = (await model.embed([text])).embeddings;
        expect(viaModel).toEqual(embedLexically(text, 64));
      }),
    );
  });

  it('ranks texts that share words above texts that do not', async () => {
    const model = createLocalEmbeddingModel();
    const { embeddings } = await model.embed([
      'how do I reset my password',
      'reset your password from the account settings page',
      'password reset',
      'quarterly revenue grew by twelve percent',
    ]);
    const [query, close, closer, unrelated] = embeddings as [number[], number[], number[], number[]];
    expect(cosineSimilarity(query, close)).toBeGreaterThan(cosineSimilarity(query, unrelated));
    expect(cosineSimilarity(query, closer)).toBeGreaterThan(cosineSimilarity(query, unrelated));
    expect(cosineSimilarity(query, unrelated)).toBeLessThan(0.3);
    expect(model.dimensions).toBe(256);
  });

  it('ignores case and punctuation, and word order only through bigrams', () => {
    expect(embedLexically('Hello, World!', 128)).toEqual(embedLexically('hello world', 128));
    const reordered = cosineSimilarity(embedLexically('red apple pie', 128), embedLexically('pie apple red', 128));
    expect(reordered).toBeLessThan(1);
    expect(reordered).toBeGreaterThan(0.6);
  });

  it('gives the zero vector to a text without words and rejects a bad size', () => {
    expect(embedLexically(' ?! ', 8)).toEqual(new Array(8).fill(0));
    expect(() => createLocalEmbeddingModel({ dimensions: 0 })).toThrow(RangeError);
  });
});

describe('embedLexically', () => {
  it('still points somewhere when the signed hashes of a text cancel out', () => {
    // Found by the property above: with one bucket, these words' signs sum to zero.
    const vector = embedLexically('aB 10 jAa', 1);
    expect(vector).toEqual([1]);
  });
});
