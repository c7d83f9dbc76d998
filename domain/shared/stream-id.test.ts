import { describe, expect, it } from 'vitest';
import { categoryOf, idOf, InvalidStreamIdError, toStreamId } from './stream-id.js';

describe('toStreamId', () => {
  it.each(['turn-0193b0a4-7d3e-7c55-b9a1-2f1f0c3d4e5f', 'tenant-acme', 'prompt-support.answer', 'audit-t_1'])(
    'accepts %s',
    (name) => {
      expect(toStreamId(name)).toBe(name);
    },
  );

  it.each(['', 'turn', 'turn-', '-abc', 'Turn-1', 'turn 1-x', 'turn-a b', 'turn-\u00e9', `x-${'a'.repeat(300)}`])(
    'refuses %j naming the field',
    (name) => {
      expect(() => toStreamId(name)).toThrow(InvalidStreamIdError);
      try {
        toStreamId(name);
      } catch (error) {
        expect((error as InvalidStreamIdError).field).toBe('streamId');
      }
    },
  );

  it('splits category and id at the first dash', () => {
    const stream = toStreamId('document-a-b-c');
    expect(categoryOf(stream)).toBe('document');
    expect(idOf(stream)).toBe('a-b-c');
  });
});
