import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { IdempotencyStore } from './idempotency-store.js';

export const idempotencyHeaders = z.object({
  'idempotency-key': z.string().min(1).max(255).regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces').optional(),
});

export interface CreatedResponse<Body> {
  statusCode: number;
  body: Body;
  headers?: Record<string, string>;
}

/** Runs a creating request once per Idempotency-Key; repeats get the first response back. */
export async function withIdempotency<Body>(
  store: IdempotencyStore,
  request: FastifyRequest,
  reply: FastifyReply,
  create: () => Promise<CreatedResponse<Body>>,
): Promise<Body> {
  const key = request.headers['idempotency-key'];
  const tenantId = request.principal.tenantId;
  if (typeof key !== 'string') return send(reply, await create());
  const route = `${request.method} ${request.routeOptions.url ?? request.url}`;
  const outcome = await store.begin(tenantId, key, `${route} ${JSON.stringify(request.params)}`, request.body);
  if (outcome.kind === 'replay') {
    const stored = outcome.response as CreatedResponse<Body>;
    void reply.header('idempotent-replayed', 'true');
    return send(reply, stored);
  }
  let created: CreatedResponse<Body>;
  try {
    created = await create();
  } catch (error) {
    await store.abandon(tenantId, key);
    throw error;
  }
  // The work is done (and may have been paid for): failing to keep its response must not fail the request.
  try {
    await store.finish(tenantId, key, created.statusCode, created);
  } catch (error) {
    request.log.warn({ err: error, idempotencyKey: key }, 'could not keep the response for this Idempotency-Key; a repeat will run again');
    await store.abandon(tenantId, key).catch(() => undefined);
  }
  return send(reply, created);
}

function send<Body>(reply: FastifyReply, created: CreatedResponse<Body>): Body {
  void reply.code(created.statusCode);
  if (created.headers) void reply.headers(created.headers);
  return created.body;
}
