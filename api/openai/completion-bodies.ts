import type { TurnCompletedData } from '../../domain/turn/events/turn-ended.js';

const FINISH_REASONS: Record<string, string> = {
  stop: 'stop',
  length: 'length',
  'tool-calls': 'tool_calls',
  'content-filter': 'content_filter',
};

export function openAiFinishReason(reason: string): string {
  return FINISH_REASONS[reason] ?? 'stop';
}

export function openAiUsage(usage: TurnCompletedData['usage']) {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedInputTokens },
  };
}

export function completionId(turnId: string): string {
  return `chatcmpl-${turnId}`;
}

/** A finished turn as a `chat.completion` object. */
export function chatCompletion(turnId: string, model: string, created: number, outcome: TurnCompletedData) {
  const toolCalls = outcome.toolCalls?.map((call) => ({
    id: call.toolCallId,
    type: 'function' as const,
    function: { name: call.name, arguments: call.arguments },
  }));
  return {
    id: completionId(turnId),
    object: 'chat.completion' as const,
    created,
    model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant' as const, content: outcome.answer.length > 0 || !toolCalls ? outcome.answer : null, refusal: null, ...(toolCalls?.length && { tool_calls: toolCalls }) },
        finish_reason: openAiFinishReason(outcome.finishReason),
        logprobs: null,
      },
    ],
    usage: openAiUsage(outcome.usage),
  };
}
