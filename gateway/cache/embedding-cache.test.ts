import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeVector, embeddingCacheKeyOf, encodeVector, type EmbeddingCacheKeyInput } from './embedding-cache.js';

const keyInput: fc.Arbitrary<EmbeddingCacheKeyInput> = fc.record({
  tenantId: fc.string({ minLength: 1, maxLength: 8 }),
  alias: fc.string({ minLength: 1, maxLength: 8 }),
  provider: fc.string({ minLength: 1, maxLength: 8 }),
  modelId: fc.string({ minLength: 1, maxLength: 8 }),
  dimensions: fc.integer({ min: 1, max: 4_096 }),
  text: fc.string({ maxLength: 40 }),
});

describe('embeddingCacheKeyOf', () => {
  it('changes when any keyed field changes, so a vector is served only for the same text, model, size and tenant', () => {
    fc.assert(
      fc.property(keyInput, keyInput, fc.constantFrom<keyof EmbeddingCacheKeyInput>('tenantId', 'alias', 'provider', 'modelId', 'dimensions', 'text'), (input, other, field) => {
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
        expect(decodeVector(encodeVector(vector))).toEqual(vector);
      }),
    );
  });

  it('decode from a buffer that does not start on an 8-byte boundary', () => {
    const encoded = encodeVector([0.125, -3.5, 1e-300]);
    // Small base64 strings decode into Node's shared pool at whatever offset is free.
    for (let offset = 0; offset < 8; offset += 1) {
      Buffer.from('x'.repeat(offset));
      expect(decodeVector(encoded)).toEqual([0.125, -3.5, 1e-300]);
    }
  });
});
