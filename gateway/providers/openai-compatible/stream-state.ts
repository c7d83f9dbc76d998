import { ModelCallError } from '../../model-call-error.js';
import type { ModelResult, ModelStreamPart } from '../../model-spec.js';
import { mapFinishReason } from './map-finish-reason.js';
import { mapUsage } from './map-usage.js';
import { chunkSchema, type CompletionChunk } from './response-schemas.js';
import { createToolCallAccumulator } from './tool-call-accumulator.js';

export interface StreamState {
  /** Validates one chunk and returns the stream parts it carries. */
  accept(chunk: unknown): ModelStreamPart[];
  /** Text received so far, for a `partialText` when the stream breaks. */
  readonly text: string;
  /** True once a choice carried a finish reason: the answer is complete. */
  readonly finished: boolean;
  result(): ModelResult;
}

/**
 * What a chat completion stream has said so far. Usage may come in the final chunk with
 * `choices: []` (OpenAI with `include_usage`) or on the last choice chunk (some servers);
 * the last usage seen wins.
 */
export function createStreamState(context: { provider: string; modelId: string }): StreamState {
  let text = '';
  let finishReason: string | undefined;
  let usage: CompletionChunk['usage'];
  let responseId: string | undefined;
  let responseModelId: string | undefined;
  const toolCalls = createToolCallAccumulator();

  return {
    accept(chunk) {
      const parsed = chunkSchema.safeParse(chunk);
      if (!parsed.success) {
        throw new ModelCallError('server', `${context.provider} ${context.modelId}: malformed stream chunk`, {
          provider: context.provider,
          modelId: context.modelId,
          cause: parsed.error,
          ...(text && { partialText: text }),
        });
      }
      const { id, model, choices, usage: chunkUsage } = parsed.data;
      responseId ??= id ?? undefined;
      responseModelId ??= model ?? undefined;
      if (chunkUsage) usage = chunkUsage;
      const parts: ModelStreamPart[] = [];
      // One choice is asked for (no `n`), so the first is the answer.
      const choice = choices?.[0];
      if (!choice) return parts;
      const content = choice.delta?.content;
      if (content) {
        text += content;
        parts.push({ type: 'text-delta', text: content });
      }
      parts.push(...toolCalls.accept(choice.delta?.tool_calls ?? []));
      if (choice.finish_reason) finishReason = choice.finish_reason;
      return parts;
    },
    get text() {
      return text;
    },
    get finished() {
      return finishReason !== undefined;
    },
    result() {
      return {
        text,
        toolCalls: toolCalls.toolCalls(),
        finishReason: mapFinishReason(finishReason),
        usage: mapUsage(usage),
        responseModelId: responseModelId ?? context.modelId,
        ...(responseId !== undefined && { responseId }),
      };
    },
  };
}
