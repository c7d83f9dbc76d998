import { ModelCallError } from '../../model-call-error.js';
import type { ModelResult } from '../../model-spec.js';
import { mapFinishReason } from './map-finish-reason.js';
import { mapUsage } from './map-usage.js';
import { completionSchema } from './response-schemas.js';

/** A non-streamed chat completion as a ModelResult; a body of the wrong shape is the server's fault. */
export function mapCompletion(body: unknown, context: { provider: string; modelId: string }): ModelResult {
  const parsed = completionSchema.safeParse(body);
  const choice = parsed.success ? parsed.data.choices[0] : undefined;
  if (!parsed.success || !choice) {
    throw new ModelCallError('server', `${context.provider} ${context.modelId}: malformed chat completion`, {
      provider: context.provider,
      modelId: context.modelId,
      ...(!parsed.success && { cause: parsed.error }),
    });
  }
  const { id, model, usage } = parsed.data;
  return {
    text: choice.message.content ?? '',
    toolCalls: (choice.message.tool_calls ?? []).map((call) => ({
      id: call.id,
      name: call.function.name,
      arguments: call.function.arguments ?? '',
    })),
    finishReason: mapFinishReason(choice.finish_reason),
    usage: mapUsage(usage),
    responseModelId: model ?? context.modelId,
    ...(id && { responseId: id }),
  };
}
