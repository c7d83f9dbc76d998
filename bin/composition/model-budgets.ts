import type { GatewayConfig } from '../../gateway/routing/index.js';
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
    worstCaseMicros(alias, request, estimatedInputTokens) {
      const deployments = gateway?.aliases[alias]?.deployments ?? [];
      const costs = deployments.map((deployment) => estimateRequestCost(deployment, estimatedInputTokens, request.maxOutputTokens));
      return Math.ceil(Math.max(0, ...costs) * 1_000_000);
    },
  };
}

/** Budgets as embeddings calls meter them: their input at the alias's dearest deployment. */
export function createEmbeddingBudgets(guard: BudgetGuard, gateway: GatewayConfig | undefined): EmbeddingBudgets {
  return {
    guard,
    worstCaseMicros(alias, inputs) {
      const deployments = gateway?.aliases[alias]?.deployments ?? [];
      return Math.ceil(Math.max(0, ...deployments.map((deployment) => estimateEmbeddingCost(deployment, inputs))) * 1_000_000);
    },
  };
}
