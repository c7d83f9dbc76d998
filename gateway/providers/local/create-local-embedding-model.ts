import { ModelCallError } from '../../model-call-error.js';
import type { EmbeddingModel } from '../../model-spec.js';
import { countTokensApproximately } from '../../tokens/approximate-token-count.js';
import { embedLexically } from './lexical-embedding.js';

export interface LocalEmbeddingModelOptions {
  /** Vector size; defaults to 256. More buckets, fewer collisions, bigger index. */
  dimensions?: number;
  /** Defaults to `local-lexical`. */
  modelId?: string;
}

/**
 * Offline embeddings by lexical hashing: deterministic, no network, similar wording gives
 * similar vectors. Vectors from different `dimensions` are not comparable, so an index
 * built with one setting must be rebuilt after changing it.
 */
export function createLocalEmbeddingModel(options: LocalEmbeddingModelOptions = {}): EmbeddingModel {
  const dimensions = options.dimensions ?? 256;
  const modelId = options.modelId ?? 'local-lexical';
  if (!Number.isInteger(dimensions) || dimensions < 1) {
    throw new RangeError(`dimensions must be a positive integer, got ${dimensions}`);
  }
  return {
    specificationVersion: 'v1',
    provider: 'local',
    modelId,
    dimensions,
    async embed(values, callOptions) {
      if (callOptions?.abortSignal?.aborted) {
        throw new ModelCallError('aborted', 'the local embedding call was aborted', { provider: 'local', modelId });
      }
      return {
        embeddings: values.map((value) => embedLexically(value, dimensions)),
        usage: { inputTokens: values.reduce((total, value) => total + countTokensApproximately(value), 0) },
      };
    },
  };
}
