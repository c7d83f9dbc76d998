import type { EmbeddingModel } from '../../gateway/model-spec.js';
import { decodeTokens, encodingForModel, UnknownTokenError } from '../../gateway/tokens/count-tokens.js';
import { ApiError } from '../errors/api-error.js';
import type { EmbeddingsBody } from './chat-completion-schemas.js';

/**
 * The texts to embed. Token ids (one array, or one per input) are decoded with the
 * model's own encoding, so they are embedded as the text they stand for: what OpenAI
 * does with them, and what lets the vector cache and the record treat every input alike.
 */
export function embeddingInputs(input: EmbeddingsBody['input'], model: EmbeddingModel): string[] {
  if (typeof input === 'string') return [input];
  if (input.every((item) => typeof item === 'string')) return input;
  const encoding = model.tokenEncoding ?? encodingForModel(model.modelId);
  const flat = input.every((item) => typeof item === 'number');
  const batches = flat ? [input] : input;
  return batches.map((ids, index) => {
    try {
      return decodeTokens(encoding, ids);
    } catch (error) {
      if (!(error instanceof UnknownTokenError)) throw error;
      const field = flat ? `body.input.${error.position}` : `body.input.${index}.${error.position}`;
      throw new ApiError(400, 'TESSERA_INVALID_REQUEST', `${field}: ${error.message}, the encoding of ${model.modelId}`, field);
    }
  });
}
