import type { Deployment, GatewayConfig } from '../../gateway/routing/index.js';
import { estimateEmbeddingCost, estimateRequestCost } from '../../gateway/routing/estimate-cost.js';
import type { BudgetGuard } from '../../gateway/budgets/index.js';
import type { TurnBudgets } from '../../handlers/turn/budgeted-call.js';
import type { EmbeddingBudgets } from '../../commands/embeddings.js';

/**
 * Budgets as the turn pipeline meters them: the worst case of a call is its most
 * expensive deployment (a fallback may land there) at the request's output cap.
 * Without a gateway file there are no prices, so calls cost nothing against budgets.
 */
export function createTurnBudgets(guard: BudgetGuard, gateway: GatewayConfig | undefined): TurnBudgets {
  return {
    guard,
    worstCaseMicros: (alias, request, estimatedInputTokens) =>
      dearestMicros(gateway, alias, (deployment) => estimateRequestCost(deployment, estimatedInputTokens, request.maxOutputTokens)),
  };
}

/** Budgets as embeddings calls meter them: their input at the alias's dearest deployment. */
export function createEmbeddingBudgets(guard: BudgetGuard, gateway: GatewayConfig | undefined): EmbeddingBudgets {
  return {
    guard,
    worstCaseMicros: (alias, inputs) => dearestMicros(gateway, alias, (deployment) => estimateEmbeddingCost(deployment, inputs)),
  };
}

/** The most a call can cost on any deployment its alias may route to, in micros (a fallback may land on the dearest). */
function dearestMicros(gateway: GatewayConfig | undefined, alias: string, costOn: (deployment: Deployment) => number): number {
  const deployments = gateway?.aliases[alias]?.deployments ?? [];
  return Math.ceil(Math.max(0, ...deployments.map(costOn)) * 1_000_000);
}
