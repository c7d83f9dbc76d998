import { createModelRegistry, DEFAULT_CHAT_ALIAS, DEFAULT_EMBEDDING_ALIAS, type ModelRegistry } from '../../gateway/model-registry.js';
import { createLocalEmbeddingModel, createLocalModel } from '../../gateway/providers/local/index.js';
import { createOpenAiCompatibleEmbeddingModel, createOpenAiCompatibleModel } from '../../gateway/providers/openai-compatible/index.js';
import type { Config } from '../../infra/config/settings.js';
import { createGateway, type GatewayOptions } from '../../gateway/resilience/index.js';
import { aliasForTask } from '../../gateway/routing/index.js';
import { loadGatewayConfig } from './gateway-config.js';

/** What the process watches the gateway through: logs and metrics. */
export type GatewayHooks = Pick<GatewayOptions, 'onBreakerStateChange' | 'onAttempt'>;

/**
 * The gateway (routing, retries, breakers, fallbacks) when a gateway file is given; one
 * OpenAI-compatible provider when a URL is; the offline local provider otherwise.
 */
export function createModels(config: Config, hooks: GatewayHooks = {}): ModelRegistry {
  const gatewayConfig = loadGatewayConfig(config);
  if (gatewayConfig) {
    const gateway = createGateway(gatewayConfig, { ...hooks, embeddingDimensions: config.embeddingDimensions });
    return createModelRegistry(
      gateway.languageModels(),
      // Without an embed/default in the file, retrieval keeps the offline embeddings.
      { [DEFAULT_EMBEDDING_ALIAS]: createLocalEmbeddingModel({ dimensions: config.embeddingDimensions }), ...gateway.embeddingModels() },
      (task) => aliasForTask(gatewayConfig, task),
    );
  }
  if (!config.modelBaseUrl) {
    return createModelRegistry(
      { [DEFAULT_CHAT_ALIAS]: createLocalModel() },
      { [DEFAULT_EMBEDDING_ALIAS]: createLocalEmbeddingModel({ dimensions: config.embeddingDimensions }) },
    );
  }
  const connection = { baseUrl: config.modelBaseUrl, apiKey: config.modelApiKey, timeoutMs: config.modelTimeoutMs };
  return createModelRegistry(
    {
      [DEFAULT_CHAT_ALIAS]: createOpenAiCompatibleModel({
        ...connection,
        modelId: config.chatModel,
        developerRole: config.modelDeveloperRole,
        outputTokensField: config.modelOutputTokensField,
      }),
    },
    {
      [DEFAULT_EMBEDDING_ALIAS]: createOpenAiCompatibleEmbeddingModel({
        ...connection,
        modelId: config.embeddingModel,
        dimensions: config.embeddingDimensions,
        requestDimensions: config.embeddingRequestDimensions,
      }),
    },
  );
}
