import fc from 'fast-check';
import { v5 as uuidV5 } from 'uuid';
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

  it('is the name-based UUID of "cause NUL step" in the Tessera namespace, as every id already in a log was made', () => {
    const namespace = '6f1c8f63-6a0e-4f8e-9d7c-3f4b8f1e2a10';
    fc.assert(
      fc.property(fc.uuid(), fc.string({ unit: 'binary' }), (cause, step) => {
        expect(deterministicId(cause, step)).toBe(uuidV5(`${cause}\u0000${step}`, namespace));
      }),
    );
  });

  it('does not let a step name bleed into the cause', () => {
    expect(deterministicId('a', 'bc')).not.toBe(deterministicId('ab', 'c'));
  });
});
