import type { LanguageModel } from '../model-spec.js';
import { createLocalModel } from '../providers/local/index.js';
import { createOpenAiCompatibleModel } from '../providers/openai-compatible/index.js';
import type { Deployment } from '../routing/deployments.js';

/** Local servers (vLLM, Ollama, llama.cpp) accept any key; the SDK insists on one. */
const PLACEHOLDER_API_KEY = 'not-needed';

/**
 * The bare provider model of a deployment, without middleware. The provider's own
 * silence limit is set to the deployment's total timeout, so the HTTP request cannot
 * outlive the call the timeout middleware already gave up on.
 */
export function createDeploymentModel(deployment: Deployment): LanguageModel {
  switch (deployment.provider) {
    case 'local':
      return createLocalModel({ modelId: deployment.model });
    case 'openai-compatible': {
      if (deployment.baseUrl === undefined) throw new TypeError(`deployment "${deployment.name}" has no baseUrl`);
      const totalMs = deployment.timeouts?.totalMs;
      return createOpenAiCompatibleModel({
        baseUrl: deployment.baseUrl,
        apiKey: deployment.apiKey ?? PLACEHOLDER_API_KEY,
        modelId: deployment.model,
        ...(deployment.headers && { headers: deployment.headers }),
        developerRole: deployment.developerRole,
        outputTokensField: deployment.outputTokensField,
        ...(totalMs !== undefined && { timeoutMs: totalMs }),
      });
    }
  }
}
