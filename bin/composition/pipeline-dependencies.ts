import type { Logger } from 'pino';
import type { Config } from '../../infra/config/settings.js';
import { countTokensApproximately } from '../../gateway/tokens/approximate-token-count.js';
import type { TurnPipelineDependencies } from '../../handlers/turn/index.js';
import type { Backend } from './open-backend.js';
import { loadGatewayConfig } from './gateway-config.js';
import { createTurnBudgets } from './model-budgets.js';

/** What the pipeline's steps need, the same whether a worker or the API's driver runs them. */
export async function pipelineDependencies(backend: Backend, config: Config, logger: Logger): Promise<TurnPipelineDependencies> {
  return {
    store: backend.store,
    readModels: backend.readModels,
    conversationView: backend.conversationView,
    models: backend.models(),
    deltas: await backend.deltas(),
    countTokens: countTokensApproximately,
    logger,
    localDrives: backend.turnDrives,
    modelCallLeaseMs: config.modelCallLeaseMs,
    processId: backend.processId,
    responseCache: await backend.responseCache(),
    budgets: createTurnBudgets(backend.budgetGuard(), loadGatewayConfig(config)),
    cacheTtlMs: config.cacheTtlMs,
  };
}
