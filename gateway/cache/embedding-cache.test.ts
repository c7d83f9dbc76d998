import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeVector, embeddingCacheKeyOf, encodeVector, type EmbeddingCacheKeyInput } from './embedding-cache.js';

const keyInput: fc.Arbitrary<EmbeddingCacheKeyInput> = fc.record({
  tenantId: fc.string({ minLength: 1, maxLength: 8 }),
  alias: fc.string({ minLength: 1, maxLength: 8 }),
  provider: fc.string({ minLength: 1, maxLength: 8 }),
  modelId: fc.string({ minLength: 1, maxLength: 8 }),
  source: fc.string({ maxLength: 8 }),
  dimensions: fc.integer({ min: 1, max: 4_096 }),
  text: fc.string({ maxLength: 40 }),
});

describe('embeddingCacheKeyOf', () => {
  it('changes when any keyed field changes, so a vector is served only for the same text, model, endpoint, size and tenant', () => {
    fc.assert(
      fc.property(keyInput, keyInput, fc.constantFrom<keyof EmbeddingCacheKeyInput>('tenantId', 'alias', 'provider', 'modelId', 'source', 'dimensions', 'text'), (input, other, field) => {
        const changed = { ...input, [field]: other[field] };
        fc.pre(changed[field] !== input[field]);
        expect(embeddingCacheKeyOf(changed)).not.toBe(embeddingCacheKeyOf(input));
      }),
    );
  });

  it('is the same for the same input, whatever order its fields were given in', () => {
    fc.assert(
      fc.property(keyInput, (input) => {
        const reordered = Object.fromEntries(Object.entries(input).reverse()) as unknown as EmbeddingCacheKeyInput;
        expect(embeddingCacheKeyOf(reordered)).toBe(embeddingCacheKeyOf(input));
        expect(embeddingCacheKeyOf(input)).toMatch(/^[0-9a-f]{64}$/);
      }),
    );
  });
});

describe('vectors in the cache', () => {
  it('come back exactly as the model returned them', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { maxLength: 64 }), (vector) => {
        expect(decodeVector(encodeVector(vector), vector.length)).toEqual(vector);
      }),
    );
  });

  it('are little-endian float64 whatever the host, so processes on any machine share them', () => {
    expect(Buffer.from(encodeVector([1]), 'base64')).toEqual(Buffer.from([0, 0, 0, 0, 0, 0, 0xf0, 0x3f]));
  });

  it('are refused, not misread, when an entry holds anything but a vector of the expected size', () => {
    const three = encodeVector([0.125, -3.5, 1e-300]);
    expect(decodeVector(three, 3)).toEqual([0.125, -3.5, 1e-300]);
    expect(decodeVector(three, 4)).toBeUndefined();
    expect(decodeVector(Buffer.from([1, 2, 3, 4, 5]).toString('base64'), 1)).toBeUndefined();
    expect(decodeVector(undefined, 3)).toBeUndefined();
    expect(decodeVector([0.125, -3.5, 1e-300], 3)).toBeUndefined();
  });
});
