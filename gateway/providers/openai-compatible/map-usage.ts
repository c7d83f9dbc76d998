import type { ModelUsage } from '../../model-spec.js';
import type { UsagePayload } from './response-schemas.js';

/**
 * OpenAI counts cached tokens inside `prompt_tokens`, and so does `inputTokens`: a price
 * table charges `inputTokens - cachedInputTokens` at the input price and the rest at the
 * cached price. A server that reports no usage gets zeros, not a guess.
 */
export function mapUsage(usage: UsagePayload): ModelUsage {
  return {
    inputTokens: tokenCount(usage?.prompt_tokens),
    outputTokens: tokenCount(usage?.completion_tokens),
    cachedInputTokens: tokenCount(usage?.prompt_tokens_details?.cached_tokens),
  };
}

/**
 * A reported count as the call's record takes it. A count that is no count (negative,
 * fractional, absurd) is taken as none reported: refusing the answer would only mean
 * paying for it again.
 */
export function tokenCount(reported: number | null | undefined): number {
  return typeof reported === 'number' && Number.isSafeInteger(reported) && reported >= 0 ? reported : 0;
}
