import type { TokenPrices } from './price-table.js';

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  /** Part of `inputTokens` served from the provider's prompt cache. */
  cachedInputTokens: number;
}

/**
 * Cost of one call in millionths of the currency, rounded per call exactly as the gateway
 * rounds the `costMicros` it records, so a ledger priced with the same table agrees with
 * the events to the micro. (The arithmetic mirrors gateway/routing/estimate-cost.ts; the
 * projections layer does not import the gateway.)
 */
export function costMicrosOf(prices: TokenPrices, usage: TokenUsage): number {
  const cached = Math.min(usage.cachedInputTokens, usage.inputTokens);
  const cost =
    ((usage.inputTokens - cached) * prices.inputPerMillion + cached * prices.cachedInputPerMillion + usage.outputTokens * prices.outputPerMillion) /
    1_000_000;
  return Math.round(cost * 1_000_000);
}
