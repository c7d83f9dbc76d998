import { ModelCallError } from '../../model-call-error.js';
import type { LanguageModel, ModelRequest, ModelResult, ModelStreamPart } from '../../model-spec.js';
import { countMessageTokensApproximately, countTokensApproximately } from '../../tokens/approximate-token-count.js';
import { composeAnswer } from './compose-answer.js';
import { extractContext } from './extract-context.js';
import { fnv1a } from './words.js';

export interface LocalModelOptions {
  /** Defaults to `local`; there is only one local model, the name is for routing tables. */
  modelId?: string;
}

const PROVIDER = 'local';

/**
 * The offline model of the embedded profile and of deterministic tests. It answers by
 * quoting the retrieved context (`[doc_N]` chunks) with citations, never calls tools and
 * never pretends to know more: the same request always gets the same answer.
 */
export function createLocalModel(options: LocalModelOptions = {}): LanguageModel {
  const modelId = options.modelId ?? 'local';

  const throwIfAborted = (request: ModelRequest): void => {
    if (request.abortSignal?.aborted) {
      throw new ModelCallError('aborted', 'the local model call was aborted', { provider: PROVIDER, modelId });
    }
  };

  const answer = (request: ModelRequest): ModelResult => {
    throwIfAborted(request);
    const context = extractContext(request.messages);
    const full = composeAnswer(context.chunks, context.question);
    const text = request.maxOutputTokens === undefined ? full : truncateToTokens(full, request.maxOutputTokens);
    return {
      text,
      toolCalls: [],
      finishReason: text === full ? 'stop' : 'length',
      usage: {
        inputTokens: countMessageTokensApproximately(request.messages),
        outputTokens: countTokensApproximately(text),
        cachedInputTokens: 0,
      },
      responseModelId: modelId,
      responseId: `local-${fnv1a(JSON.stringify(request.messages)).toString(16)}`,
    };
  };

  return {
    specificationVersion: 'v1',
    provider: PROVIDER,
    modelId,
    async generate(request) {
      return answer(request);
    },
    async *stream(request): AsyncGenerator<ModelStreamPart> {
      const result = answer(request);
      for (const text of splitWordDeltas(result.text)) {
        throwIfAborted(request);
        yield { type: 'text-delta', text };
      }
      yield { type: 'finish', result };
    },
  };
}

/** Word-sized pieces (each with the whitespace before it) that concatenate back exactly. */
export function splitWordDeltas(text: string): string[] {
  return text.split(/(?=\s+\S)/).filter((piece) => piece.length > 0);
}

/** The longest prefix of whole words within the (approximate) token limit. */
function truncateToTokens(text: string, maxTokens: number): string {
  let kept = '';
  for (const piece of splitWordDeltas(text)) {
    if (countTokensApproximately(kept + piece) > maxTokens) break;
    kept += piece;
  }
  return kept;
}
