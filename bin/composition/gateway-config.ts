import { readFileSync } from 'node:fs';
import { DEFAULT_CHAT_ALIAS, DEFAULT_EMBEDDING_ALIAS } from '../../gateway/model-registry.js';
import { parseGatewayConfig, type GatewayConfig, type GatewayConfigInput } from '../../gateway/routing/index.js';
import type { Config } from '../../infra/config/settings.js';

/** Read once per loaded configuration, however many parts of the process ask for it. */
const loaded = new WeakMap<Config, GatewayConfig | undefined>();

/**
 * The gateway's configuration: the file named by TESSERA_GATEWAY_CONFIG_FILE, parsed and
 * checked; else, with TESSERA_MODEL_BASE_URL, one deployment per alias made from the
 * TESSERA_MODEL_* settings, so those calls get the gateway's retries, breakers, timeouts
 * and routing record too; none when the offline provider answers.
 */
export function loadGatewayConfig(config: Config): GatewayConfig | undefined {
  if (loaded.has(config)) return loaded.get(config);
  const gateway = config.gatewayConfigFile
    ? parseGatewayConfig(JSON.parse(readFileSync(config.gatewayConfigFile, 'utf8')), process.env)
    : config.modelBaseUrl
      ? parseGatewayConfig(gatewayOfSettings(config, config.modelBaseUrl))
      : undefined;
  loaded.set(config, gateway);
  return gateway;
}

/** Settings name no prices: calls through them cost nothing in the ledger and hold nothing against budgets. */
const UNPRICED = { inputPerMillion: 0, cachedInputPerMillion: 0, outputPerMillion: 0 };

function gatewayOfSettings(config: Config, baseUrl: string): GatewayConfigInput {
  const endpoint = { provider: 'openai-compatible' as const, baseUrl, apiKey: config.modelApiKey, prices: UNPRICED };
  return {
    aliases: {
      [DEFAULT_CHAT_ALIAS]: {
        deployments: [
          {
            ...endpoint,
            name: 'default',
            model: config.chatModel,
            contextWindow: config.modelContextWindow,
            developerRole: config.modelDeveloperRole,
            outputTokensField: config.modelOutputTokensField,
            timeouts: { silenceMs: config.modelTimeoutMs },
          },
        ],
      },
      [DEFAULT_EMBEDDING_ALIAS]: {
        deployments: [
          {
            ...endpoint,
            name: 'default-embeddings',
            model: config.embeddingModel,
            contextWindow: config.embeddingContextWindow,
            requestDimensions: config.embeddingRequestDimensions,
            timeouts: { silenceMs: config.modelTimeoutMs },
          },
        ],
      },
    },
  };
}
