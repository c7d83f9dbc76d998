import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ModelStreamPart } from '../../model-spec.js';
import type { ToolCallDelta } from './response-schemas.js';
import { createToolCallAccumulator } from './tool-call-accumulator.js';

const call = fc.record({
  name: fc.stringMatching(/^[a-z_]{1,12}$/),
  arguments: fc.json(),
});

/** A call's arguments cut at random places: the pieces concatenate back to the whole. */
function cut(text: string, cuts: readonly number[]): string[] {
  const points = [...new Set(cuts.map((point) => point % (text.length + 1)))].sort((left, right) => left - right);
  const pieces: string[] = [];
  let from = 0;
  for (const point of [...points, text.length]) {
    pieces.push(text.slice(from, point));
    from = point;
  }
  return pieces;
}

describe('createToolCallAccumulator', () => {
  it('rebuilds every call from interleaved deltas, announcing each once before its arguments', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ call, cuts: fc.array(fc.nat(), { maxLength: 6 }) }), { minLength: 1, maxLength: 4 }),
        fc.infiniteStream(fc.nat()),
        (calls, choices) => {
          // Each call's deltas in order: id and name first, then the argument pieces.
          const queues: ToolCallDelta[][] = calls.map(({ call: { name, arguments: text }, cuts }, index) =>
            cut(text, cuts).map((piece, position) => ({
              index,
              ...(position === 0 && { id: `call_${index}_id`, function: { name, arguments: piece } }),
              ...(position > 0 && { function: { arguments: piece } }),
            })),
          );
          const accumulator = createToolCallAccumulator();
          const parts: ModelStreamPart[] = [];
          const picks = choices[Symbol.iterator]();
          // Calls are numbered in the order they first appear.
          const firstSeen: number[] = [];
          for (let open = queues.filter((queue) => queue.length > 0); open.length > 0; open = queues.filter((queue) => queue.length > 0)) {
            const queue = open[(picks.next().value ?? 0) % open.length];
            const delta = queue?.shift();
            if (!delta) continue;
            if (!firstSeen.includes(delta.index!)) firstSeen.push(delta.index!);
            parts.push(...accumulator.accept([delta]));
          }

          expect(accumulator.toolCalls()).toEqual(
            firstSeen.map((serverIndex) => ({ id: `call_${serverIndex}_id`, name: calls[serverIndex]!.call.name, arguments: calls[serverIndex]!.call.arguments })),
          );
          calls.forEach(({ call: { name, arguments: text } }, serverIndex) => {
            const index = firstSeen.indexOf(serverIndex);
            const own = parts.filter((part) => 'index' in part && part.index === index);
            expect(own[0]).toEqual({ type: 'tool-call-start', index, id: `call_${serverIndex}_id`, name });
            expect(own.filter((part) => part.type === 'tool-call-start')).toHaveLength(1);
            const streamed = own.map((part) => (part.type === 'tool-call-delta' ? part.argumentsDelta : '')).join('');
            expect(streamed).toBe(text);
          });
        },
      ),
    );
  });

  it('numbers calls from 0 in the order they appear, whatever the server\'s own indices, so parts and calls agree', () => {
    const accumulator = createToolCallAccumulator();
    const parts = accumulator.accept([
      { index: 1, id: 'call_w', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
      { index: 2, id: 'call_t', function: { name: 'get_time', arguments: '{"zone":"CET"}' } },
    ]);
    expect(parts.filter((part) => part.type === 'tool-call-start')).toEqual([
      { type: 'tool-call-start', index: 0, id: 'call_w', name: 'get_weather' },
      { type: 'tool-call-start', index: 1, id: 'call_t', name: 'get_time' },
    ]);
    expect(accumulator.toolCalls().map((call) => call.id)).toEqual(['call_w', 'call_t']);
  });

  it('tells apart calls a server sends whole, one chunk each, without an index', () => {
    const accumulator = createToolCallAccumulator();
    accumulator.accept([{ id: 'call_A', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }]);
    accumulator.accept([{ id: 'call_B', function: { name: 'get_time', arguments: '{"zone":"CET"}' } }]);
    expect(accumulator.toolCalls()).toEqual([
      { id: 'call_A', name: 'get_weather', arguments: '{"city":"Paris"}' },
      { id: 'call_B', name: 'get_time', arguments: '{"zone":"CET"}' },
    ]);
  });

  it('uses the position when a server leaves the index out, and makes up an id when it sends none', () => {
    const accumulator = createToolCallAccumulator();
    accumulator.accept([
      { function: { name: 'first', arguments: '{}' } },
      { id: 'call_b', function: { name: 'second', arguments: '{"a":1}' } },
    ]);
    expect(accumulator.toolCalls()).toEqual([
      { id: 'call_0', name: 'first', arguments: '{}' },
      { id: 'call_b', name: 'second', arguments: '{"a":1}' },
    ]);
  });

  it('holds arguments back until the name arrives', () => {
    const accumulator = createToolCallAccumulator();
    expect(accumulator.accept([{ index: 0, id: 'call_1', function: { arguments: '{"ci' } }])).toEqual([]);
    expect(accumulator.accept([{ index: 0, function: { name: 'get_weather', arguments: 'ty":1}' } }])).toEqual([
      { type: 'tool-call-start', index: 0, id: 'call_1', name: 'get_weather' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '{"ci' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: 'ty":1}' },
    ]);
  });
});
