import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countMessageTokensApproximately, countTokensApproximately } from './approximate-token-count.js';

describe('countTokensApproximately', () => {
  it('counts nothing for empty text and about one token per four characters otherwise', () => {
    expect(countTokensApproximately('')).toBe(0);
    expect(countTokensApproximately('abc')).toBe(1);
    expect(countTokensApproximately('abcd')).toBe(1);
    expect(countTokensApproximately('abcde')).toBe(2);
  });

  it('never counts less for longer text', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (left, right) => {
        expect(countTokensApproximately(left + right)).toBeGreaterThanOrEqual(countTokensApproximately(left));
      }),
    );
  });
});

describe('countMessageTokensApproximately', () => {
  it('adds framing per message and counts assistant tool calls', () => {
    const withoutCalls = countMessageTokensApproximately([
      { role: 'system', content: 'abcd' },
      { role: 'assistant', content: '' },
    ]);
    const withCalls = countMessageTokensApproximately([
      { role: 'system', content: 'abcd' },
      { role: 'assistant', content: '', toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' }] },
    ]);
    expect(withoutCalls).toBe(3 + 1 + 3);
    expect(withCalls).toBe(withoutCalls + 3 + 4);
  });
});
