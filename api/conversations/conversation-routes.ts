import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { startConversation } from '../../commands/conversations.js';
import type { EventStore } from '../../infra/event-store/port.js';
import type { ReadModels } from '../../projections/read-model-database.js';
import { problemResponses } from '../app.js';
import { idempotencyHeaders, withIdempotency } from '../idempotency/with-idempotency.js';
import type { IdempotencyStore } from '../idempotency/idempotency-store.js';
import { notFound } from '../errors/api-error.js';
import { conversationIdParams, conversationView, startConversationBody } from './conversation-schemas.js';
import { readConversationView } from './read-conversation-view.js';
import { z } from 'zod';

export interface ConversationRouteDependencies {
  store: EventStore;
  readModels: ReadModels;
  idempotency: IdempotencyStore;
}

export function conversationRoutes(dependencies: ConversationRouteDependencies) {
  return async (scope: FastifyInstance) => {
    const app = scope.withTypeProvider<ZodTypeProvider>();

    app.post(
      '/v1/conversations',
      {
        schema: {
          tags: ['conversations'],
          summary: 'Start a conversation',
          headers: idempotencyHeaders,
          body: startConversationBody,
          response: { 201: z.object({ id: z.string(), status: z.literal('active') }), ...problemResponses },
        },
      },
      async (request, reply) =>
        withIdempotency(dependencies.idempotency, request, reply, async () => {
          const id = await startConversation(dependencies.store, {
            ...request.body,
            tenantId: request.principal.tenantId,
            correlationId: request.id,
          });
          return { statusCode: 201, body: { id, status: 'active' as const }, headers: { location: `/v1/conversations/${id}` } };
        }),
    );

    app.get(
      '/v1/conversations/:id',
      {
        schema: {
          tags: ['conversations'],
          summary: 'The projected conversation view: messages, status, usage',
          params: conversationIdParams,
          response: { 200: conversationView, ...problemResponses },
        },
      },
      async (request) => {
        const view = await readConversationView(dependencies.readModels, request.principal.tenantId, request.params.id);
        if (!view) throw notFound(`conversation ${request.params.id}`, 'params.id');
        return view;
      },
    );
  };
}
