import { countTokensApproximately } from '../../../gateway/tokens/approximate-token-count.js';
import { lastUserText, promptTexts, type ChatRequest } from './chat-request.js';
import type { FakeScenario } from './fake-scenario.js';
import { stripDirectives } from './parse-directives.js';

export interface FakeCompletion {
  id: string;
  model: string;
  created: number;
  /** `null` when the answer is only tool calls, as OpenAI sends it. */
  content: string | null;
  toolCalls: { id: string; name: string; arguments: string }[];
  finishReason: string;
  usage: {
    prompt_tokens: number;
    completion_tokens: number;
    total_tokens: number;
    prompt_tokens_details: { cached_tokens: number; audio_tokens: number };
    completion_tokens_details: {
      reasoning_tokens: number;
      audio_tokens: number;
      accepted_prediction_tokens: number;
      rejected_prediction_tokens: number;
    };
  };
}

/** Framing tokens per chat message, as OpenAI counts them. */
const TOKENS_PER_MESSAGE = 3;

export function promptTokenCount(request: ChatRequest): number {
  return promptTexts(request).reduce((total, text) => total + TOKENS_PER_MESSAGE + countTokensApproximately(text), 0);
}

/**
 * The answer the fake gives: the scripted reply and tool calls, or else an echo of the
 * last user message (directives removed) so the default is deterministic and checkable.
 */
export function composeCompletion(request: ChatRequest, scenario: FakeScenario, sequence: number): FakeCompletion {
  const toolCalls = scenario.toolCalls.map((call, index) => ({
    id: `call_fake_${sequence}_${index}`,
    name: call.name,
    arguments: call.arguments,
  }));
  const content = scenario.reply ?? (toolCalls.length > 0 ? null : `echo: ${stripDirectives(lastUserText(request))}`);
  const promptTokens = promptTokenCount(request);
  const completionTokens =
    countTokensApproximately(content ?? '') +
    toolCalls.reduce((total, call) => total + countTokensApproximately(call.name + call.arguments), 0);
  return {
    id: `chatcmpl-fake-${sequence}`,
    model: request.model,
    created: Math.floor(Date.now() / 1000),
    content,
    toolCalls,
    finishReason: scenario.finishReason ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop'),
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
      prompt_tokens_details: { cached_tokens: Math.min(scenario.cachedTokens, promptTokens), audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: 0,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    },
  };
}
