import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseGlobalPosition, positionParts, START_POSITION, toGlobalPosition } from './global-position.js';

const part = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });

describe('global positions', () => {
  it('compare as strings exactly as their (commit, prepare) pairs compare', () => {
    fc.assert(
      fc.property(part, part, part, part, (c1, p1, c2, p2) => {
        const byPair = c1 === c2 ? Math.sign(Number(p1 - p2)) : Math.sign(Number(c1 - c2));
        const a = toGlobalPosition(c1, p1);
        const b = toGlobalPosition(c2, p2);
        const byString = a === b ? 0 : a < b ? -1 : 1;
        expect(byString).toBe(byPair);
      }),
    );
  });

  it('round-trips its parts', () => {
    fc.assert(
      fc.property(part, part, (commit, prepare) => {
        expect(positionParts(toGlobalPosition(commit, prepare))).toEqual({ commit, prepare });
      }),
    );
  });

  it('puts the start before every other position', () => {
    expect(START_POSITION < toGlobalPosition(0n, 1n)).toBe(true);
  });

  it('refuses text that is not a position', () => {
    expect(() => parseGlobalPosition('12')).toThrow(RangeError);
    expect(() => toGlobalPosition(-1n, 0n)).toThrow(RangeError);
  });
});
