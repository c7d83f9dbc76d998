import type { ModelUsage } from '../../model-spec.js';
import type { UsagePayload } from './response-schemas.js';

/**
 * OpenAI counts cached tokens inside `prompt_tokens`, and so does `inputTokens`: a price
 * table charges `inputTokens - cachedInputTokens` at the input price and the rest at the
 * cached price. A server that reports no usage gets zeros, not a guess.
 */
export function mapUsage(usage: UsagePayload): ModelUsage {
  return {
    inputTokens: usage?.prompt_tokens ?? 0,
    outputTokens: usage?.completion_tokens ?? 0,
    cachedInputTokens: usage?.prompt_tokens_details?.cached_tokens ?? 0,
  };
}
