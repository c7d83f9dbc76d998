import type { ModelRequest, ModelUsage } from '../model-spec.js';
import { deploymentTokenCounter, outputCapOn, type Deployment } from './deployments.js';

type Prices = Deployment['prices'];

/**
 * Output tokens assumed for a cost estimate when neither the request nor the deployment
 * caps them; a typical chat answer, not a bound.
 */
export const ASSUMED_OUTPUT_TOKENS = 512;

/** Cost in the billing currency of the configured prices. */
export function costOf(prices: Prices, tokens: { inputTokens: number; cachedInputTokens?: number; outputTokens: number }): number {
  const cached = Math.min(tokens.cachedInputTokens ?? 0, tokens.inputTokens);
  return (
    ((tokens.inputTokens - cached) * prices.inputPerMillion + cached * prices.cachedInputPerMillion + tokens.outputTokens * prices.outputPerMillion) /
    1_000_000
  );
}

/** The prompt tokens a request costs on a deployment (messages, tools, response schema), counted with the deployment's tokenizer. */
export function promptTokensOn(deployment: Deployment, request: Pick<ModelRequest, 'messages' | 'tools' | 'responseFormat'>): number {
  return deploymentTokenCounter(deployment).request(request);
}

/**
 * What a request will cost on a deployment before it is sent: the counted prompt, and as
 * output the cap it gets there (outputCapOn), else `ASSUMED_OUTPUT_TOKENS`. Cached input
 * is unknown beforehand and counted at the full price.
 */
export function estimateRequestCost(deployment: Deployment, inputTokens: number, maxOutputTokens: number | undefined): number {
  const outputTokens = outputCapOn(deployment, maxOutputTokens) ?? ASSUMED_OUTPUT_TOKENS;
  return costOf(deployment.prices, { inputTokens, outputTokens });
}

/** What embedding `values` will cost on a deployment: their tokens, counted with its tokenizer, at its input price. */
export function estimateEmbeddingCost(deployment: Deployment, values: readonly string[]): number {
  const counter = deploymentTokenCounter(deployment);
  const inputTokens = values.reduce((total, value) => total + counter.text(value), 0);
  return costOf(deployment.prices, { inputTokens, outputTokens: 0 });
}

/** The settled cost of a finished call in millionths of the currency, as ModelCallCompleted records it. */
export function costMicrosOf(prices: Prices, usage: ModelUsage): number {
  return Math.round(costOf(prices, usage) * 1_000_000);
}
