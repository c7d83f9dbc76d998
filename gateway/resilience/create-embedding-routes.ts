import { ModelCallError } from '../model-call-error.js';
import type { EmbeddingModel } from '../model-spec.js';
import { createLocalEmbeddingModel } from '../providers/local/index.js';
import { createOpenAiCompatibleEmbeddingModel } from '../providers/openai-compatible/index.js';
import { isEmbeddingAlias, type Deployment, type GatewayConfig } from '../routing/deployments.js';
import { connectionOf } from './create-deployment-model.js';

/** The bare embedding model of a deployment, returning vectors of `dimensions` (the index's size). */
export function createDeploymentEmbeddingModel(deployment: Deployment, dimensions: number): EmbeddingModel {
  switch (deployment.provider) {
    case 'local':
      return createLocalEmbeddingModel({ dimensions, modelId: deployment.model });
    case 'openai-compatible':
      return createOpenAiCompatibleEmbeddingModel({
        ...connectionOf(deployment),
        modelId: deployment.model,
        dimensions,
        requestDimensions: deployment.requestDimensions,
      });
  }
}

/**
 * The embedding aliases of a gateway file. Each tries its deployments (one model, the
 * configuration checks) in the listed order: the next takes over when one fails in a way
 * another endpoint may not (rate limit, server error, timeout, lost connection), while a
 * refusal of the request itself is final.
 */
export function createEmbeddingRoutes(config: GatewayConfig, dimensions: number): Record<string, EmbeddingModel> {
  return Object.fromEntries(
    Object.entries(config.aliases)
      .filter(([alias]) => isEmbeddingAlias(alias))
      .map(([alias, route]) => [alias, inListedOrder(route.deployments.map((deployment) => createDeploymentEmbeddingModel(deployment, dimensions)))]),
  );
}

function inListedOrder(models: readonly EmbeddingModel[]): EmbeddingModel {
  const [first] = models;
  if (!first) throw new TypeError('an embedding alias needs a deployment');
  return {
    specificationVersion: 'v1',
    provider: first.provider,
    modelId: first.modelId,
    dimensions: first.dimensions,
    async embed(values, options) {
      let failure: unknown;
      for (const model of models) {
        try {
          return await model.embed(values, options);
        } catch (error) {
          failure = error;
          if (!ModelCallError.isInstance(error) || !error.retryable || options?.abortSignal?.aborted) throw error;
        }
      }
      throw failure;
    },
  };
}
