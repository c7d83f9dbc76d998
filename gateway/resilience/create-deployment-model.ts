import type { EmbeddingModel, LanguageModel } from '../model-spec.js';
import { createLocalEmbeddingModel, createLocalModel } from '../providers/local/index.js';
import { createOpenAiCompatibleEmbeddingModel, createOpenAiCompatibleModel, type OpenAiCompatibleConnection } from '../providers/openai-compatible/index.js';
import type { Deployment } from '../routing/deployments.js';

/** Local servers (vLLM, Ollama, llama.cpp) accept any key; the SDK insists on one. */
const PLACEHOLDER_API_KEY = 'not-needed';

/**
 * How to reach an OpenAI-compatible deployment. The provider's own silence limit is the
 * deployment's `silenceMs`, else its total timeout, so the HTTP request cannot outlive
 * the call the timeout middleware already gave up on.
 */
export function connectionOf(deployment: Deployment): OpenAiCompatibleConnection {
  if (deployment.baseUrl === undefined) throw new TypeError(`deployment "${deployment.name}" has no baseUrl`);
  const silenceMs = deployment.timeouts?.silenceMs ?? deployment.timeouts?.totalMs;
  return {
    baseUrl: deployment.baseUrl,
    apiKey: deployment.apiKey ?? PLACEHOLDER_API_KEY,
    ...(deployment.headers && { headers: deployment.headers }),
    ...(silenceMs !== undefined && { timeoutMs: silenceMs }),
  };
}

/** The bare provider model of a deployment, without middleware. */
export function createDeploymentModel(deployment: Deployment): LanguageModel {
  switch (deployment.provider) {
    case 'local':
      return createLocalModel({ modelId: deployment.model });
    case 'openai-compatible':
      return createOpenAiCompatibleModel({
        ...connectionOf(deployment),
        modelId: deployment.model,
        developerRole: deployment.developerRole,
        outputTokensField: deployment.outputTokensField,
      });
  }
}

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
