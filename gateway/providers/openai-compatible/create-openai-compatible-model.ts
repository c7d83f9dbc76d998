import type { LanguageModel, ModelRequest, ModelStreamPart } from '../../model-spec.js';
import { ModelCallError } from '../../model-call-error.js';
import { interruption, startCallDeadline, type CallDeadline } from './call-deadline.js';
import { createClient, DEFAULT_PROVIDER, DEFAULT_TIMEOUT_MS, type OpenAiCompatibleConnection } from './create-client.js';
import { mapCompletion } from './map-completion.js';
import { mapError } from './map-error.js';
import { mapRequest, type ServerDialect } from './map-request.js';
import { createStreamState } from './stream-state.js';

export interface OpenAiCompatibleModelOptions extends OpenAiCompatibleConnection, ServerDialect {
  modelId: string;
}

/** A chat model behind any OpenAI-compatible API (OpenAI, Azure, vLLM, Ollama, llama.cpp), through the `openai` SDK. */
export function createOpenAiCompatibleModel(options: OpenAiCompatibleModelOptions): LanguageModel {
  const client = createClient(options);
  const provider = options.provider ?? DEFAULT_PROVIDER;
  const { modelId } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const context = { provider, modelId };

  const failure = (error: unknown, deadline: CallDeadline, request: ModelRequest, partialText?: string): unknown =>
    interruption(deadline, request.abortSignal, { ...context, timeoutMs, partialText, cause: error }) ??
    mapError(error, { ...context, ...(partialText && { partialText }) });

  return {
    specificationVersion: 'v1',
    provider,
    modelId,
    cacheScope: options.baseUrl,

    async generate(request) {
      const deadline = startCallDeadline(timeoutMs, request.abortSignal);
      try {
        const body = await client.chat.completions.create(mapRequest(modelId, request, options), { signal: deadline.signal });
        return mapCompletion(body, context);
      } catch (error) {
        throw failure(error, deadline, request);
      } finally {
        deadline.dispose();
      }
    },

    async *stream(request): AsyncGenerator<ModelStreamPart> {
      const deadline = startCallDeadline(timeoutMs, request.abortSignal);
      const state = createStreamState(context);
      try {
        const chunks = await client.chat.completions.create(
          { ...mapRequest(modelId, request, options), stream: true, stream_options: { include_usage: true } },
          { signal: deadline.signal },
        );
        deadline.restart();
        for await (const chunk of chunks) {
          deadline.pause();
          yield* state.accept(chunk);
          // Chunks already buffered would still arrive; the caller who aborted wants none of them.
          if (deadline.signal.aborted) break;
          deadline.restart();
        }
      } catch (error) {
        throw failure(error, deadline, request, state.text);
      } finally {
        deadline.dispose();
      }
      // The SDK ends a stream quietly when its signal aborts, and a server may close early.
      const interrupted = interruption(deadline, request.abortSignal, { ...context, timeoutMs, partialText: state.text });
      if (interrupted) throw interrupted;
      if (!state.finished) {
        throw new ModelCallError('disconnected', `${provider} ${modelId}: the stream ended before a finish reason`, {
          provider,
          modelId,
          ...(state.text && { partialText: state.text }),
        });
      }
      yield { type: 'finish', result: state.result() };
    },
  };
}
