import type { ModelStreamPart, ModelToolCall } from '../../model-spec.js';
import type { ToolCallDelta } from './response-schemas.js';

interface PendingCall extends ModelToolCall {
  started: boolean;
}

export interface ToolCallAccumulator {
  /** Takes one chunk's tool-call deltas and returns the stream parts they amount to. */
  accept(deltas: readonly ToolCallDelta[]): ModelStreamPart[];
  /** The calls so far, ordered by index. */
  toolCalls(): ModelToolCall[];
}

/**
 * Streamed tool calls arrive as deltas keyed by `index`: the first delta of an index
 * carries the id and name, later ones pieces of the arguments, and the deltas of several
 * calls may interleave. A call is announced (`tool-call-start`) once its name is known;
 * arguments that came earlier are held back until then.
 */
export function createToolCallAccumulator(): ToolCallAccumulator {
  const calls = new Map<number, PendingCall>();

  return {
    accept(deltas) {
      const parts: ModelStreamPart[] = [];
      deltas.forEach((delta, position) => {
        const index = delta.index ?? position;
        const call = calls.get(index) ?? { id: '', name: '', arguments: '', started: false };
        calls.set(index, call);
        if (!call.id && delta.id) call.id = delta.id;
        if (!call.name && delta.function?.name) call.name = delta.function.name;
        const piece = delta.function?.arguments ?? '';
        if (!call.started && call.name) {
          call.started = true;
          // Servers that never send an id still need one the tool result can refer to.
          call.id ||= `call_${index}`;
          parts.push({ type: 'tool-call-start', index, id: call.id, name: call.name });
          const held = call.arguments;
          if (held) parts.push({ type: 'tool-call-delta', index, argumentsDelta: held });
        }
        call.arguments += piece;
        if (call.started && piece) parts.push({ type: 'tool-call-delta', index, argumentsDelta: piece });
      });
      return parts;
    },
    toolCalls() {
      return [...calls.entries()]
        .sort(([left], [right]) => left - right)
        .map(([index, call]) => ({ id: call.id || `call_${index}`, name: call.name, arguments: call.arguments }));
    },
  };
}
