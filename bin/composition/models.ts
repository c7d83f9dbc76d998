import { createModelRegistry, DEFAULT_CHAT_ALIAS, DEFAULT_EMBEDDING_ALIAS, type ModelRegistry } from '../../gateway/model-registry.js';
import { createLocalEmbeddingModel, createLocalModel } from '../../gateway/providers/local/index.js';
import type { Config } from '../../infra/config/settings.js';
import { createGateway, type GatewayOptions } from '../../gateway/resilience/index.js';
import { aliasForTask } from '../../gateway/routing/index.js';
import { loadGatewayConfig } from './gateway-config.js';

/** What the process watches the gateway through: logs and metrics. */
export type GatewayHooks = Pick<GatewayOptions, 'onBreakerStateChange' | 'onAttempt'>;

/**
 * The gateway (routing, retries, breakers, fallbacks, timeouts) over the gateway file or
 * the TESSERA_MODEL_* settings; the offline local provider when neither names a model.
 */
export function createModels(config: Config, hooks: GatewayHooks = {}): ModelRegistry {
  const gatewayConfig = loadGatewayConfig(config);
  if (!gatewayConfig) {
    return createModelRegistry(
      { [DEFAULT_CHAT_ALIAS]: createLocalModel() },
      { [DEFAULT_EMBEDDING_ALIAS]: createLocalEmbeddingModel({ dimensions: config.embeddingDimensions }) },
    );
  }
  const gateway = createGateway(gatewayConfig, { ...hooks, embeddingDimensions: config.embeddingDimensions });
  return createModelRegistry(
    gateway.languageModels(),
    // Without an embed/default in the file, retrieval keeps the offline embeddings.
    { [DEFAULT_EMBEDDING_ALIAS]: createLocalEmbeddingModel({ dimensions: config.embeddingDimensions }), ...gateway.embeddingModels() },
    (task) => aliasForTask(gatewayConfig, task),
  );
}
