import type { ModelStreamPart, ModelToolCall } from '../model-spec.js';

/** What one deployment's stream has passed on to the consumer so far. */
export interface StreamedOutput {
  /** True once any part was passed on: from then on the call cannot fall back. */
  readonly started: boolean;
  add(part: Exclude<ModelStreamPart, { type: 'finish' }>): void;
  text(): string;
  /** Tool calls begun so far, ordered by index, their arguments as far as they came. */
  toolCalls(): ModelToolCall[];
}

/**
 * Kept beside the stream rather than read from the provider's error: a cut stream is
 * billed for everything it sent, tool-call arguments as much as text, whichever layer
 * (provider, timeout, lease) ended it.
 */
export function createStreamedOutput(): StreamedOutput {
  let started = false;
  let text = '';
  const toolCalls = new Map<number, ModelToolCall>();
  return {
    get started() {
      return started;
    },
    add(part) {
      started = true;
      if (part.type === 'text-delta') text += part.text;
      else if (part.type === 'tool-call-start') toolCalls.set(part.index, { id: part.id, name: part.name, arguments: '' });
      else {
        const toolCall = toolCalls.get(part.index);
        if (toolCall) toolCall.arguments += part.argumentsDelta;
      }
    },
    text: () => text,
    toolCalls: () => [...toolCalls.entries()].sort(([left], [right]) => left - right).map(([, toolCall]) => ({ ...toolCall })),
  };
}
