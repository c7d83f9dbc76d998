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
 *
 * Calls are numbered 0, 1, 2… in the order they first appear, whatever the server's own
 * indices (some start at 1, after a text block): the parts' `index` is then the call's
 * place in `toolCalls()`, which is how the turn numbers them. A server that sends no
 * `index` (Ollama, Gemini's OpenAI API) starts a new call with each new id or name.
 */
export function createToolCallAccumulator(): ToolCallAccumulator {
  const calls: PendingCall[] = [];
  const byServerIndex = new Map<number, number>();

  const positionOf = (delta: ToolCallDelta): number => {
    if (delta.index !== undefined && delta.index !== null) {
      let position = byServerIndex.get(delta.index);
      if (position === undefined) byServerIndex.set(delta.index, (position = calls.length));
      return position;
    }
    // Without an index, a new id, or a name where the last call has one, begins the next call.
    const last = calls[calls.length - 1];
    const begins = !last || (delta.id && delta.id !== last.id) || (!delta.id && delta.function?.name && last.name);
    return begins ? calls.length : calls.length - 1;
  };

  return {
    accept(deltas) {
      const parts: ModelStreamPart[] = [];
      for (const delta of deltas) {
        const index = positionOf(delta);
        const call = calls[index] ?? { id: '', name: '', arguments: '', started: false };
        calls[index] = call;
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
      }
      return parts;
    },
    toolCalls() {
      return calls.map((call, index) => ({ id: call.id || `call_${index}`, name: call.name, arguments: call.arguments }));
    },
  };
}
