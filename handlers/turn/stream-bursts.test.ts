import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ModelStreamPart } from '../../gateway/model-spec.js';
import { coalesceParts } from './stream-bursts.js';

type DeltaPart = Exclude<ModelStreamPart, { type: 'finish' }>;

const part: fc.Arbitrary<DeltaPart> = fc.oneof(
  fc.string().map((text) => ({ type: 'text-delta' as const, text })),
  fc.record({ type: fc.constant('tool-call-start' as const), index: fc.nat(2), id: fc.uuid(), name: fc.constantFrom('a', 'b') }),
  fc.record({ type: fc.constant('tool-call-delta' as const), index: fc.nat(2), argumentsDelta: fc.string() }),
);

const text = (parts: readonly DeltaPart[]) => parts.flatMap((each) => (each.type === 'text-delta' ? [each.text] : [])).join('');
const argumentsOf = (parts: readonly DeltaPart[], index: number) =>
  parts.flatMap((each) => (each.type === 'tool-call-delta' && each.index === index ? [each.argumentsDelta] : [])).join('');
const starts = (parts: readonly DeltaPart[]) => parts.filter((each) => each.type === 'tool-call-start');

describe('coalescing a burst of stream parts', () => {
  it('merges runs of text and of one call’s arguments', () => {
    expect(
      coalesceParts([
        { type: 'text-delta', text: 'Hel' },
        { type: 'text-delta', text: 'lo' },
        { type: 'tool-call-start', index: 0, id: 'c1', name: 'f' },
        { type: 'tool-call-delta', index: 0, argumentsDelta: '{"a"' },
        { type: 'tool-call-delta', index: 0, argumentsDelta: ':1}' },
        { type: 'tool-call-delta', index: 1, argumentsDelta: '{}' },
      ]),
    ).toEqual([
      { type: 'text-delta', text: 'Hello' },
      { type: 'tool-call-start', index: 0, id: 'c1', name: 'f' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '{"a":1}' },
      { type: 'tool-call-delta', index: 1, argumentsDelta: '{}' },
    ]);
  });

  it('keeps the text, every call’s arguments and every call start, in order, and never grows', () => {
    fc.assert(
      fc.property(fc.array(part, { maxLength: 40 }), (parts) => {
        const merged = coalesceParts(parts);
        expect(merged.length).toBeLessThanOrEqual(parts.length);
        expect(text(merged)).toBe(text(parts));
        for (const index of [0, 1, 2]) expect(argumentsOf(merged, index)).toBe(argumentsOf(parts, index));
        expect(starts(merged)).toEqual(starts(parts));
        for (const [position, each] of merged.entries()) {
          const next = merged[position + 1];
          if (each.type === 'text-delta') expect(next?.type).not.toBe('text-delta');
        }
      }),
    );
  });
});
