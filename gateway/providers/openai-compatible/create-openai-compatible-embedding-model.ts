import type { EmbeddingModel } from '../../model-spec.js';
import { ModelCallError } from '../../model-call-error.js';
import { interruption, startCallDeadline } from './call-deadline.js';
import { createClient, DEFAULT_PROVIDER, DEFAULT_TIMEOUT_MS, type OpenAiCompatibleConnection } from './create-client.js';
import { mapError } from './map-error.js';
import { tokenCount } from './map-usage.js';
import { embeddingsSchema } from './response-schemas.js';

export interface OpenAiCompatibleEmbeddingModelOptions extends OpenAiCompatibleConnection {
  modelId: string;
  /** The vector size the model returns; a response of another size is rejected. */
  dimensions: number;
  /**
   * Ask the server to shorten vectors to `dimensions` (OpenAI's `text-embedding-3-*`).
   * Off by default: servers without the feature reject the parameter.
   */
  requestDimensions?: boolean;
}

/** Embeddings from any OpenAI-compatible `/embeddings` endpoint, in one request per call (batching is the caller's). */
export function createOpenAiCompatibleEmbeddingModel(options: OpenAiCompatibleEmbeddingModelOptions): EmbeddingModel {
  const client = createClient(options);
  const provider = options.provider ?? DEFAULT_PROVIDER;
  const { modelId, dimensions } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const fail = (message: string, cause?: unknown): ModelCallError =>
    new ModelCallError('server', `${provider} ${modelId}: ${message}`, { provider, modelId, cause });

  return {
    specificationVersion: 'v1',
    provider,
    modelId,
    dimensions,
    cacheScope: options.baseUrl,
    async embed(values, callOptions) {
      // OpenAI rejects an empty input list; nothing to embed is not an error.
      if (values.length === 0) return { embeddings: [], usage: { inputTokens: 0 } };
      const deadline = startCallDeadline(timeoutMs, callOptions?.abortSignal);
      let body: unknown;
      try {
        body = await client.embeddings.create(
          {
            model: modelId,
            input: [...values],
            // The SDK would ask for base64 otherwise, which Ollama and older vLLM do not speak.
            encoding_format: 'float',
            ...(options.requestDimensions && { dimensions }),
          },
          { signal: deadline.signal },
        );
      } catch (error) {
        throw interruption(deadline, callOptions?.abortSignal, { provider, modelId, timeoutMs, cause: error }) ?? mapError(error, { provider, modelId });
      } finally {
        deadline.dispose();
      }

      const parsed = embeddingsSchema.safeParse(body);
      if (!parsed.success) throw fail('malformed embeddings response', parsed.error);
      const data = [...parsed.data.data].sort((left, right) => left.index - right.index);
      if (data.length !== values.length) throw fail(`expected ${values.length} embeddings, got ${data.length}`);
      const wrongSize = data.find((item) => item.embedding.length !== dimensions);
      if (wrongSize) {
        // The deployment's fault, not the request's: another endpoint may be configured right, and the breaker should learn of it.
        throw fail(`expected vectors of ${dimensions} dimensions, got ${wrongSize.embedding.length}: check the deployment's configuration`);
      }
      // None reported: the gateway prices its own count instead.
      return { embeddings: data.map((item) => item.embedding), usage: { inputTokens: tokenCount(parsed.data.usage?.prompt_tokens) } };
    },
  };
}
