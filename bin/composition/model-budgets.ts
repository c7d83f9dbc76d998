import type { Deployment, GatewayConfig } from '../../gateway/routing/index.js';
import { estimateEmbeddingCost, estimateRequestCost, promptTokensOn } from '../../gateway/routing/estimate-cost.js';
import type { BudgetGuard } from '../../gateway/budgets/index.js';
import type { TurnBudgets } from '../../handlers/turn/budgeted-call.js';
import type { EmbeddingBudgets } from '../../commands/embeddings.js';

/** Budgets as the turn pipeline meters them, at `turnWorstCaseMicros`. */
export function createTurnBudgets(guard: BudgetGuard, gateway: GatewayConfig | undefined): TurnBudgets {
  return { guard, worstCaseMicros: turnWorstCaseMicros(gateway) };
}

/** Budgets as embeddings calls meter them, at `embeddingWorstCaseMicros`. */
export function createEmbeddingBudgets(guard: BudgetGuard, gateway: GatewayConfig | undefined): EmbeddingBudgets {
  return { guard, worstCaseMicros: embeddingWorstCaseMicros(gateway) };
}

/**
 * A chat call's worst case: its most expensive deployment (a fallback may land there),
 * the prompt counted with that deployment's tokenizer, at the request's output cap.
 * Without a gateway file there are no prices, so calls cost nothing against budgets.
 */
export function turnWorstCaseMicros(gateway: GatewayConfig | undefined): TurnBudgets['worstCaseMicros'] {
  // A deployment that costs nothing needs no count (nor its tokenizer loaded).
  return (alias, request) =>
    dearestMicros(gateway, alias, (deployment) => (isFree(deployment) ? 0 : estimateRequestCost(deployment, promptTokensOn(deployment, request), request.maxOutputTokens)));
}

/** An embeddings call's worst case: its input at the alias's dearest deployment. */
export function embeddingWorstCaseMicros(gateway: GatewayConfig | undefined): EmbeddingBudgets['worstCaseMicros'] {
  return (alias, inputs) => dearestMicros(gateway, alias, (deployment) => (isFree(deployment) ? 0 : estimateEmbeddingCost(deployment, inputs)));
}

/** The most a call can cost on any deployment its alias may route to, in micros (a fallback may land on the dearest). */
function dearestMicros(gateway: GatewayConfig | undefined, alias: string, costOn: (deployment: Deployment) => number): number {
  const deployments = gateway?.aliases[alias]?.deployments ?? [];
  return Math.ceil(Math.max(0, ...deployments.map(costOn)) * 1_000_000);
}

function isFree({ prices }: Deployment): boolean {
  return prices.inputPerMillion === 0 && prices.cachedInputPerMillion === 0 && prices.outputPerMillion === 0;
}
