import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { openConversation } from '../../commands/conversations.js';
import { requestTurn, type TurnDefaults } from '../../commands/turns.js';
import { callEmbeddings, type EmbeddingCallDependencies } from '../../commands/embeddings.js';
import { newId } from '../../domain/shared/ids.js';
import { ModelCallError } from '../../gateway/model-call-error.js';
import type { ModelRegistry } from '../../gateway/model-registry.js';
import type { BudgetGuard } from '../../gateway/budgets/index.js';
import type { TurnDriveSlots } from '../../handlers/turn/drive-slots.js';
import { problemResponses } from '../app.js';
import { openAiTooManyRequests } from '../budgets/budget-exhausted-problem.js';
import { ApiError, modelNotFound } from '../errors/api-error.js';
import { asRouteError } from '../errors/as-route-error.js';
import { wantsFreshAnswer } from '../cache-control.js';
import { releaseFromDeadline } from '../request-deadline.js';
import { embeddingInputs } from './embedding-inputs.js';
import { openSse } from '../sse/sse-writer.js';
import { chatCompletionBody, chatCompletionHeaders, embeddingsBody, embeddingsHeaders } from './chat-completion-schemas.js';
import { chatCompletion } from './completion-bodies.js';
import { mapChatRequest } from './map-chat-request.js';
import { modelFailureError, turnFailureError } from './openai-errors.js';
import { streamChatCompletion, type ChatStreamSources } from './stream-chat-completion.js';
import { driveToEnd, type TurnEnding } from '../turns/drive-to-end.js';
import type { IdempotencyStore } from '../idempotency/idempotency-store.js';
import { idempotencyHeaders, withIdempotency } from '../idempotency/with-idempotency.js';

export interface OpenAiRouteDependencies extends ChatStreamSources {
  models: ModelRegistry;
  /** A non-streaming completion sent again with the same Idempotency-Key gets the first answer back, with no second turn. */
  idempotency: IdempotencyStore;
  /** Refuses a completion at once when a hard budget that applies has nothing left. */
  budgets?: Pick<BudgetGuard, 'ensureAvailable'>;
  /** How embeddings calls are held against budgets, and how long one may run. */
  embeddingCalls: Pick<EmbeddingCallDependencies, 'budgets' | 'maxCallMs' | 'cache'>;
  /** Drives turns in this process while a slot is free; otherwise the pipeline workers carry every step. */
  drives?: TurnDriveSlots;
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
      {
        schema: {
          tags: ['openai-compatible'],
          summary: 'Chat completions (stream and non-stream, tools, response_format)',
          headers: chatCompletionHeaders.extend(idempotencyHeaders.shape),
          body: chatCompletionBody,
          response: { 200: z.unknown().describe('chat.completion, or text/event-stream of chat.completion.chunk'), ...problemResponses, 429: openAiTooManyRequests },
        },
      },
      async (request, reply) => {
        const body = request.body;
        const tenantId = request.principal.tenantId;
        const userId = endUserOf(body);
        if (!dependencies.models.chatAliases().includes(body.model)) {
          throw modelNotFound(body.model, 'body.model');
        }
        if (body.stream === true && request.headers['idempotency-key'] !== undefined) {
          throw new ApiError(
            400,
            'TESSERA_IDEMPOTENCY_KEY_NOT_FOR_STREAMS',
            'a streamed completion takes no Idempotency-Key: it is resumed with GET /v1/turns/{x-tessera-turn-id}/stream and Last-Event-ID instead',
            'headers.idempotency-key',
          );
        }
        // Everything a completion does inside its turn: `answer` runs once the turn is requested, and the drive slot is freed after it.
        const inTurn = async <Answer>(answer: (turn: { turnId: string; conversationId: string; turnEnd: (signal: AbortSignal) => Promise<TurnEnding> }) => Promise<Answer>) => {
          await dependencies.budgets?.ensureAvailable(tenantId, request.principal.keyId);
          const driver = dependencies.drives?.admit();
          try {
            const mapped = mapChatRequest(body);
            const givenConversationId = request.headers['x-tessera-conversation-id'];
            // Driven here, the answer waits for the drive: the new conversation and TurnRequested go out in the drive's first append.
            const deferAppend = driver !== undefined;
            const started = givenConversationId
              ? undefined
              : await openConversation(dependencies.store, { tenantId, userId, correlationId: request.id, metadata: { source: 'openai-compatible' } }, { deferAppend });
            const conversationId = givenConversationId ?? started!.conversationId;
            const turn = await asRouteError(() => requestTurn(
              dependencies.store,
              {
                conversationId,
                tenantId,
                userId,
                message: mapped.lastUserMessage,
                mode: 'chat',
                stream: body.stream === true,
                // A task header routes by task; the model named in the body (checked above) is then only the fallback name.
                model: request.headers['x-tessera-task'] ? undefined : body.model,
                task: request.headers['x-tessera-task'],
                source: 'openai-compatible',
                feature: request.headers['x-tessera-feature'],
                keyId: request.principal.keyId,
                cacheBypass: wantsFreshAnswer(request.headers['cache-control']) || undefined,
                clientMessages: mapped.messages,
                clientTools: mapped.tools,
                parameters: mapped.parameters,
                // As given, as OpenAI takes it: each deployment lowers it to its own maxOutputTokens.
                limits: mapped.maxOutputTokens ? { maxOutputTokens: mapped.maxOutputTokens } : undefined,
                correlationId: request.id,
              },
              dependencies.turnDefaults,
              {
                conversation: started?.state,
                deferAppend,
                alongside: started?.unsaved ? [started.unsaved] : undefined,
                // A non-streaming answer is given only after the turn's append, so nothing needs recording before the call.
                recordWhenEnded: body.stream !== true,
              },
            ), 'headers.x-tessera-conversation-id');
            const { turnId } = turn;
            // Named at once, so an answer that comes too late (a 504) still says which turn to look up.
            void reply.header('x-tessera-turn-id', turnId).header('x-tessera-conversation-id', conversationId);
            const turnEnd = (signal: AbortSignal) => driveToEnd({ ...dependencies, driver }, turn, signal, (error) => request.log.error({ err: error, turnId }, 'driving the turn failed; the pipeline carries it on'));
            return await answer({ turnId, conversationId, turnEnd });
          } finally {
            driver?.release();
          }
        };

        if (body.stream === true) {
          return inTurn(async ({ turnId, turnEnd }) => {
            releaseFromDeadline(request);
            const clientGone = new AbortController();
            reply.raw.once('close', () => clientGone.abort());
            await streamChatCompletion(() => openSse(reply), clientGone.signal, dependencies, turnId, body.model, body.stream_options?.include_usage === true, (error) =>
              request.log.error({ err: error, turnId }, 'streamed completion failed'),
              turnEnd,
            );
            return reply;
          });
        }
        // The turn's ids go in the stored response's headers, so a replay names the same turn.
        return withIdempotency(dependencies.idempotency, request, reply, () =>
          inTurn(async ({ turnId, conversationId, turnEnd }) => {
            const created = Math.floor(Date.now() / 1_000);
            const ending = await turnEnd(AbortSignal.timeout(dependencies.completionTimeoutMs)).catch((error: unknown) => {
              if (!(error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'))) throw error;
              // The turn goes on and is recorded; a retry would start it again, so the SDK is told not to.
              throw new ApiError(504, 'TESSERA_REQUEST_TIMEOUT', `the completion did not finish within ${dependencies.completionTimeoutMs} ms; turn ${turnId} may still complete and be recorded`, undefined, {
                'x-should-retry': 'false',
              });
            });
            if (ending.status === 'failed') throw turnFailureError(ending.events);
            return {
              statusCode: 200,
              body: chatCompletion(turnId, body.model, created, ending.outcome),
              headers: { 'x-tessera-turn-id': turnId, 'x-tessera-conversation-id': conversationId },
            };
          }),
        );
      },
    );

    const modelIds = () => [...dependencies.models.chatAliases(), ...dependencies.models.embeddingAliases()];
    const modelObject = (id: string) => ({ id, object: 'model' as const, created: 0, owned_by: 'tessera' });
    app.get('/v1/models', { schema: { tags: ['openai-compatible'], summary: 'The configured model aliases' } }, async () => ({
      object: 'list' as const,
      data: modelIds().map(modelObject),
    }));
    // An alias holds a slash (chat/default), which clients send as it is or encoded.
    app.get('/v1/models/*', { schema: { tags: ['openai-compatible'], summary: 'One configured model alias' } }, async (request) => {
      const id = decodeURIComponent((request.params as { '*': string })['*']);
      if (!modelIds().includes(id)) throw modelNotFound(id, 'params.model');
      return modelObject(id);
    });

    app.post(
      '/v1/embeddings',
      {
        schema: {
          tags: ['openai-compatible'],
          summary: 'Embeddings (recorded as EmbeddingCallCompleted or EmbeddingCallFailed on embedding-<id>)',
          headers: embeddingsHeaders.extend(idempotencyHeaders.shape),
          body: embeddingsBody,
          response: { 200: z.unknown(), ...problemResponses, 429: openAiTooManyRequests },
        },
      },
      async (request, reply) => {
        const body = request.body;
        if (!dependencies.models.embeddingAliases().includes(body.model)) {
          throw modelNotFound(body.model, 'body.model');
        }
        const model = dependencies.models.embeddingModel(body.model);
        if (body.dimensions !== undefined && body.dimensions !== model.dimensions) {
          throw new ApiError(400, 'TESSERA_INVALID_REQUEST', `${body.model} returns ${model.dimensions} dimensions`, 'body.dimensions');
        }
        const inputs = embeddingInputs(body.input, model);
        // A batch sent again with the same Idempotency-Key gets the first vectors back, and is paid for once.
        return withIdempotency(dependencies.idempotency, request, reply, async () => {
          // Named before the call, so a failure's answer also points at its record.
          const callId = newId();
          void reply.header('x-tessera-embedding-call-id', callId);
          try {
            const result = await callEmbeddings(
              { ...dependencies.embeddingCalls, store: dependencies.store, models: dependencies.models, logger: request.log },
              {
                callId,
                tenantId: request.principal.tenantId,
                keyId: request.principal.keyId,
                userId: endUserOf(body),
                feature: request.headers['x-tessera-feature'],
                source: 'openai-compatible',
                alias: body.model,
                inputs,
                correlationId: request.id,
                fresh: wantsFreshAnswer(request.headers['cache-control']),
              },
            );
            return {
              statusCode: 200,
              body: {
                object: 'list' as const,
                model: body.model,
                data: result.embeddings.map((embedding, index) => ({
                  object: 'embedding' as const,
                  index,
                  embedding: body.encoding_format === 'base64' ? Buffer.from(new Float32Array(embedding).buffer).toString('base64') : embedding,
                })),
                usage: { prompt_tokens: result.usage.inputTokens, total_tokens: result.usage.inputTokens },
              },
              headers: { 'x-tessera-embedding-call-id': callId, 'x-tessera-cached-inputs': String(result.cachedInputs) },
            };
          } catch (error) {
            if (ModelCallError.isInstance(error)) throw modelFailureError(error.kind, error.message, 'body.input', error.details.retryAfterMs);
            throw error;
          }
        });
      },
    );
  };
}

/** A client's `user`; an empty one (which OpenAI accepts) is none, as the log records no empty user ids. */
function endUserOf(body: { user?: string }): string | undefined {
  return body.user === '' ? undefined : body.user;
}
