import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deterministicId, isId, newId } from './ids.js';

describe('newId', () => {
  it('mints ids that sort in the order they were minted', () => {
    const ids = Array.from({ length: 2_000 }, () => newId());
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every(isId)).toBe(true);
  });
});

describe('deterministicId', () => {
  it('gives the same id for the same cause and step', () => {
    fc.assert(
      fc.property(fc.uuid(), fc.string(), (cause, step) => {
        expect(deterministicId(cause, step)).toBe(deterministicId(cause, step));
      }),
    );
  });

  it('gives different ids when the cause or the step differs', () => {
    fc.assert(
      fc.property(fc.uuid(), fc.uuid(), fc.string(), fc.string(), (causeA, causeB, stepA, stepB) => {
        fc.pre(causeA !== causeB || stepA !== stepB);
        expect(deterministicId(causeA, stepA)).not.toBe(deterministicId(causeB, stepB));
      }),
    );
  });

  it('does not let a step name bleed into the cause', () => {
    expect(deterministicId('a', 'bc')).not.toBe(deterministicId('ab', 'c'));
  });
});
