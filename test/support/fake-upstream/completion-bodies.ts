import type { FakeCompletion } from './fake-completion.js';

/** The non-streamed `chat.completion` object. */
export function completionBody(completion: FakeCompletion): Record<string, unknown> {
  return {
    id: completion.id,
    object: 'chat.completion',
    created: completion.created,
    model: completion.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: completion.content,
          refusal: null,
          annotations: [],
          ...(completion.toolCalls.length > 0 && {
            tool_calls: completion.toolCalls.map((call) => ({
              id: call.id,
              type: 'function',
              function: { name: call.name, arguments: call.arguments },
            })),
          }),
        },
        logprobs: null,
        finish_reason: completion.finishReason,
      },
    ],
    usage: completion.usage,
    service_tier: 'default',
    system_fingerprint: 'fp_fake',
  };
}

/**
 * The `chat.completion.chunk` objects of a stream, in OpenAI's order: a role chunk, the
 * text word by word, the tool calls (id and name first, arguments in pieces, two calls
 * interleaved), a chunk with the finish reason, and — when asked for — a usage chunk
 * with `choices: []`. Every other chunk then carries `usage: null`, as OpenAI's do.
 */
export function streamChunks(completion: FakeCompletion, includeUsage: boolean): Record<string, unknown>[] {
  const chunk = (delta: Record<string, unknown>, finishReason: string | null = null): Record<string, unknown> => ({
    id: completion.id,
    object: 'chat.completion.chunk',
    created: completion.created,
    model: completion.model,
    system_fingerprint: 'fp_fake',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    ...(includeUsage && { usage: null }),
  });
  const chunks = [chunk({ role: 'assistant', content: completion.content === null ? null : '', refusal: null })];
  for (const word of splitWords(completion.content ?? '')) chunks.push(chunk({ content: word }));

  const pieces = completion.toolCalls.map((call) => splitArguments(call.arguments));
  const rounds = pieces.length === 0 ? 0 : Math.max(1, ...pieces.map((list) => list.length));
  for (let round = 0; round < rounds; round += 1) {
    completion.toolCalls.forEach((call, index) => {
      const piece = pieces[index]?.[round];
      if (round === 0) {
        const start = { index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } };
        chunks.push(chunk({ tool_calls: [start] }));
      }
      if (piece !== undefined) chunks.push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }));
    });
  }

  chunks.push(chunk({}, completion.finishReason));
  if (includeUsage) {
    chunks.push({
      id: completion.id,
      object: 'chat.completion.chunk',
      created: completion.created,
      model: completion.model,
      system_fingerprint: 'fp_fake',
      choices: [],
      usage: completion.usage,
    });
  }
  return chunks;
}

/** Word-sized pieces that concatenate back to the text exactly. */
export function splitWords(text: string): string[] {
  return text.split(/(?=\s+\S)/).filter((piece) => piece.length > 0);
}

/** Three pieces (fewer for tiny arguments), so clients must accumulate. */
function splitArguments(text: string): string[] {
  const size = Math.max(1, Math.ceil(text.length / 3));
  const pieces: string[] = [];
  for (let start = 0; start < text.length; start += size) pieces.push(text.slice(start, start + size));
  return pieces;
}
