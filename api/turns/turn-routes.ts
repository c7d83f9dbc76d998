import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { foldEvents } from '../../commands/handle-command.js';
import { recordFeedback, requestTurn, type TurnDefaults } from '../../commands/turns.js';
import { streamId } from '../../domain/shared/stream-id.js';
import { turnDecider } from '../../domain/turn/decide-turn.js';
import type { TurnDriveSlots } from '../../handlers/turn/drive-slots.js';
import type { EventStore } from '../../infra/event-store/port.js';
import type { BudgetGuard } from '../../gateway/budgets/index.js';
import { problemResponses } from '../app.js';
import { conversationIdParams } from '../conversations/conversation-schemas.js';
import { ApiError, modelNotFound, notFound } from '../errors/api-error.js';
import { asRouteError } from '../errors/as-route-error.js';
import type { IdempotencyStore } from '../idempotency/idempotency-store.js';
import { idempotencyHeaders, withIdempotency } from '../idempotency/with-idempotency.js';
import { wantsFreshAnswer } from '../cache-control.js';
import { openSse } from '../sse/sse-writer.js';
import { untilRecorded } from './drive-to-end.js';
import { streamTurn, type TurnStreamSources } from './stream-turn.js';
import { TURN_END_EVENT_TYPES } from '../../domain/turn/turn-end-events.js';
import { isEnded } from '../../domain/turn/turn-state.js';
import { parseCursor, START_CURSOR } from './turn-cursor.js';
import { feedbackBody, requestTurnBody, streamHeaders, turnAccepted, turnIdParams, turnView } from './turn-schemas.js';

export interface TurnRouteDependencies extends TurnStreamSources {
  store: EventStore;
  /** Refuses a turn at once when a hard budget that applies has nothing left. */
  budgets?: Pick<BudgetGuard, 'ensureAvailable'>;
  /** Drives accepted turns in this process while a slot is free; otherwise the pipeline workers carry every step. */
  drives?: TurnDriveSlots;
  idempotency: IdempotencyStore;
  turnDefaults: TurnDefaults;
  /** The chat aliases a turn may name: another is refused before anything is recorded. */
  chatAliases?: () => string[];
}

export function turnRoutes(dependencies: TurnRouteDependencies) {
  /** Another tenant's turn answers exactly like a missing one. */
  const loadOwnTurn = async (tenantId: string, turnId: string) => {
    const stream = await dependencies.store.readStream(streamId('turn', turnId));
    const state = foldEvents(turnDecider, stream.events);
    if (state.status === 'none' || state.request.tenantId !== tenantId) throw notFound(`turn ${turnId}`, 'params.id');
    return { state, events: stream.events };
  };

  return async (scope: FastifyInstance) => {
    const app = scope.withTypeProvider<ZodTypeProvider>();

    app.post(
      '/v1/conversations/:id/turns',
      {
        schema: {
          tags: ['turns'],
          summary: 'Send a message: starts a turn; streams it as SSE when stream is true',
          params: conversationIdParams,
          headers: idempotencyHeaders,
          body: requestTurnBody,
          response: { 202: turnAccepted, ...problemResponses },
        },
      },
      async (request, reply) => {
        const body = request.body;
        if (body.model !== undefined && dependencies.chatAliases && !dependencies.chatAliases().includes(body.model)) {
          throw modelNotFound(body.model, 'body.model');
        }
        const create = async () => {
          await dependencies.budgets?.ensureAvailable(request.principal.tenantId, request.principal.keyId);
          const driver = dependencies.drives?.admit();
          try {
            const turn = await asRouteError(() => requestTurn(
              dependencies.store,
              {
                conversationId: request.params.id,
                tenantId: request.principal.tenantId,
                userId: body.userId,
                message: body.message,
                mode: body.mode,
                stream: body.stream,
                model: body.model,
                source: 'api',
                feature: body.feature,
                task: body.task,
                keyId: request.principal.keyId,
                cacheBypass: wantsFreshAnswer(request.headers['cache-control']) || undefined,
                limits: body.maxOutputTokens ? { maxOutputTokens: body.maxOutputTokens } : undefined,
                parameters: { temperature: body.temperature, seed: body.seed },
                correlationId: request.id,
              },
              dependencies.turnDefaults,
              // A chat turn (no retrieval to wait for) is recorded with its first steps, claim included, in one append.
              { deferAppend: driver !== undefined && body.mode === 'chat' },
            ), 'params.id');
            const { turnId } = turn;
            const drive = driver?.drive(turn);
            void drive?.catch((error: unknown) => {
              // A turn whose first append never landed does not exist: untilRecorded fails the request with this error instead.
              if (turn.unsaved && turn.unsaved.length > 0) return;
              request.log.error({ err: error, turnId }, 'driving the turn failed; the pipeline carries it on');
            });
            // Answered once the turn is recorded (202); the drive goes on after the response, and the pipeline finishes whatever it leaves.
            if (drive) await untilRecorded(turn, drive);
            return {
              statusCode: 202,
              body: { id: turnId, conversationId: request.params.id, status: 'requested' as const, streamUrl: `/v1/turns/${turnId}/stream` },
              headers: { location: `/v1/turns/${turnId}` },
            };
          } finally {
            driver?.release();
          }
        };
        const accepted = await withIdempotency(dependencies.idempotency, request, reply, create);
        if (!body.stream) return accepted;
        const sse = openSse(reply);
        await streamTurn(sse, dependencies, accepted.id, START_CURSOR, (error) => request.log.warn({ err: error }, 'token deltas unavailable'));
        return reply;
      },
    );

    app.get(
      '/v1/turns/:id',
      { schema: { tags: ['turns'], summary: 'A turn: status, answer, usage and its event timeline', params: turnIdParams, response: { 200: turnView, ...problemResponses } } },
      async (request) => {
        const { state, events } = await loadOwnTurn(request.principal.tenantId, request.params.id);
        return {
          id: request.params.id,
          conversationId: state.request.conversationId,
          status: state.status,
          answer: state.status === 'completed' ? state.outcome.answer : null,
          failure: state.status === 'failed' ? { reason: state.failure.reason, message: state.failure.message } : null,
          usage: state.usage,
          timeline: events.map((event) => ({ revision: event.revision, type: event.type, occurredAt: event.occurredAt.toISOString(), data: event.data })),
        };
      },
    );

    app.get(
      '/v1/turns/:id/stream',
      {
        schema: {
          tags: ['turns'],
          summary: 'SSE: the turn as it happens (token deltas, then its events); resumes from Last-Event-ID',
          params: turnIdParams,
          headers: streamHeaders,
          response: { 200: z.string().describe('text/event-stream'), 204: z.null().describe('the client already has the whole turn (Last-Event-ID at or past its end)'), ...problemResponses },
        },
      },
      async (request, reply) => {
        const cursor = parseCursor(request.headers['last-event-id']);
        if (!cursor) throw new ApiError(400, 'TESSERA_INVALID_REQUEST', 'Last-Event-ID is not an event id of this stream', 'headers.last-event-id');
        const { events } = await loadOwnTurn(request.principal.tenantId, request.params.id);
        if (cursor.revision > (events.at(-1)?.revision ?? -1)) {
          throw new ApiError(400, 'TESSERA_INVALID_REQUEST', 'Last-Event-ID names an event this turn does not have', 'headers.last-event-id');
        }
        const end = events.find((event) => TURN_END_EVENT_TYPES.has(event.type));
        // The client has the whole turn; 204 is what tells an EventSource to stop reconnecting.
        if (end && cursor.revision >= end.revision) return reply.code(204).send(null);
        await streamTurn(openSse(reply), dependencies, request.params.id, cursor, (error) =>
          request.log.warn({ err: error }, 'token deltas unavailable'),
        );
        return reply;
      },
    );

    app.post(
      '/v1/turns/:id/feedback',
      {
        schema: {
          tags: ['turns'],
          summary: 'Record feedback on a turn (FeedbackRecorded)',
          params: turnIdParams,
          body: feedbackBody,
          response: { 202: z.object({ turnId: z.string(), recorded: z.literal(true) }), ...problemResponses },
        },
      },
      async (request, reply) => {
        const { state } = await loadOwnTurn(request.principal.tenantId, request.params.id);
        if (!isEnded(state)) {
          throw new ApiError(409, 'TESSERA_TURN_NOT_ENDED', `the turn is ${state.status}; feedback waits for it to end`, 'params.id', { 'retry-after': '1' });
        }
        const body = request.body;
        await recordFeedback(dependencies.store, {
          tenantId: request.principal.tenantId,
          turnId: request.params.id,
          correlationId: request.id,
          score: body.score ?? (body.rating === 'up' ? 1 : -1),
          comment: body.comment,
          correction: body.correction,
          source: 'user',
        });
        return reply.code(202).send({ turnId: request.params.id, recorded: true as const });
      },
    );
  };
}
