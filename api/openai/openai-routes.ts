import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { startConversation } from '../../commands/conversations.js';
import { requestTurn, type TurnDefaults } from '../../commands/turns.js';
import type { TurnCompletedData } from '../../domain/turn/events/turn-ended.js';
import { ModelCallError } from '../../gateway/model-call-error.js';
import type { ModelRegistry } from '../../gateway/model-registry.js';
import { problemResponses } from '../app.js';
import { ApiError } from '../errors/api-error.js';
import { asRouteError } from '../errors/as-route-error.js';
import { openSse } from '../sse/sse-writer.js';
import { awaitTurnEnd } from '../turns/await-turn-end.js';
import { chatCompletionBody, chatCompletionHeaders, embeddingsBody } from './chat-completion-schemas.js';
import { chatCompletion } from './completion-bodies.js';
import { mapChatRequest } from './map-chat-request.js';
import { turnFailureError } from './openai-errors.js';
import { streamChatCompletion, type ChatStreamSources } from './stream-chat-completion.js';

export interface OpenAiRouteDependencies extends ChatStreamSources {
  models: ModelRegistry;
  turnDefaults: TurnDefaults;
  /** Longest a non-streaming completion waits for its turn. */
  completionTimeoutMs: number;
}

/**
 * The OpenAI-compatible surface: existing clients point their base URL here. Every
 * chat completion is a turn with the same events as the REST API; tools the client
 * declares are executed by the client (ToolCallProposed, then returned to it).
 */
export function openAiRoutes(dependencies: OpenAiRouteDependencies) {
  return async (scope: FastifyInstance) => {
    const app = scope.withTypeProvider<ZodTypeProvider>();

    app.post(
      '/v1/chat/completions',
      { schema: { tags: ['openai-compatible'], summary: 'Chat completions (stream and non-stream, tools, response_format)', headers: chatCompletionHeaders, body: chatCompletionBody, response: { 200: z.unknown().describe('chat.completion, or text/event-stream of chat.completion.chunk'), ...problemResponses } } },
      async (request, reply) => {
        const body = request.body;
        const tenantId = request.principal.tenantId;
        if (!dependencies.models.chatAliases().includes(body.model)) {
          throw new ApiError(404, 'TESSERA_MODEL_NOT_FOUND', `model "${body.model}" is not configured; GET /v1/models lists them`, 'body.model');
        }
        const mapped = mapChatRequest(body);
        const conversationId =
          request.headers['x-tessera-conversation-id'] ??
          (await startConversation(dependencies.store, { tenantId, userId: body.user, correlationId: request.id, metadata: { source: 'openai-compatible' } }));
        const turnId = await asRouteError(() => requestTurn(
          dependencies.store,
          {
            conversationId,
            tenantId,
            userId: body.user,
            message: mapped.lastUserMessage,
            mode: 'chat',
            stream: body.stream === true,
            model: body.model,
            source: 'openai-compatible',
            clientMessages: mapped.messages,
            clientTools: mapped.tools,
            parameters: mapped.parameters,
            limits: mapped.maxOutputTokens ? { maxOutputTokens: Math.min(mapped.maxOutputTokens, dependencies.turnDefaults.maxOutputTokens) } : undefined,
            correlationId: request.id,
          },
          dependencies.turnDefaults,
        ), 'headers.x-tessera-conversation-id');
        void reply.header('x-tessera-turn-id', turnId).header('x-tessera-conversation-id', conversationId);
        if (body.stream === true) {
          const sse = openSse(reply);
          await streamChatCompletion(sse, dependencies, turnId, body.model, body.stream_options?.include_usage === true, (error) =>
            request.log.error({ err: error, turnId }, 'streamed completion failed'),
          );
          return reply;
        }
        const created = Math.floor(Date.now() / 1_000);
        const events = await awaitTurnEnd(dependencies.store, dependencies.hub, turnId, AbortSignal.timeout(dependencies.completionTimeoutMs));
        const terminal = events.at(-1)!;
        if (terminal.type === 'TurnFailed') throw turnFailureError(events);
        return reply.send(chatCompletion(turnId, body.model, created, terminal.data as TurnCompletedData));
      },
    );

    app.get('/v1/models', { schema: { tags: ['openai-compatible'], summary: 'The configured model aliases' } }, async () => ({
      object: 'list' as const,
      data: [...dependencies.models.chatAliases(), ...dependencies.models.embeddingAliases()].map((id) => ({ id, object: 'model' as const, created: 0, owned_by: 'tessera' })),
    }));

    app.post(
      '/v1/embeddings',
      { schema: { tags: ['openai-compatible'], summary: 'Embeddings', body: embeddingsBody, response: { 200: z.unknown(), ...problemResponses } } },
      async (request) => {
        const body = request.body;
        if (!dependencies.models.embeddingAliases().includes(body.model)) {
          throw new ApiError(404, 'TESSERA_MODEL_NOT_FOUND', `model "${body.model}" is not configured; GET /v1/models lists them`, 'body.model');
        }
        const model = dependencies.models.embeddingModel(body.model);
        if (body.dimensions !== undefined && body.dimensions !== model.dimensions) {
          throw new ApiError(400, 'TESSERA_INVALID_REQUEST', `${body.model} returns ${model.dimensions} dimensions`, 'body.dimensions');
        }
        const inputs = typeof body.input === 'string' ? [body.input] : body.input;
        try {
          const result = await model.embed(inputs);
          return {
            object: 'list' as const,
            model: body.model,
            data: result.embeddings.map((embedding, index) => ({
              object: 'embedding' as const,
              index,
              embedding: body.encoding_format === 'base64' ? Buffer.from(new Float32Array(embedding).buffer).toString('base64') : embedding,
            })),
            usage: { prompt_tokens: result.usage.inputTokens, total_tokens: result.usage.inputTokens },
          };
        } catch (error) {
          if (ModelCallError.isInstance(error)) throw new ApiError(error.kind === 'rate-limited' ? 429 : 502, 'TESSERA_EMBEDDING_FAILED', error.message);
          throw error;
        }
      },
    );
  };
}
