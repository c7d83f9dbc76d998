import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { BudgetExhaustedError } from '../../domain/budget/budget-errors.js';
import { DomainError } from '../../domain/shared/domain-error.js';
import { budgetExhaustedHeaders, budgetExhaustedProblem, OPENAI_BUDGET_REFUSAL } from '../budgets/budget-exhausted-problem.js';
import { ApiError } from './api-error.js';
import { problem, type Problem } from './problem.js';

/** The routes OpenAI clients call, which answer as OpenAI would where a status is a choice. */
const OPENAI_ROUTES = ['/v1/chat/completions', '/v1/embeddings'];
const isOpenAiRoute = (request: FastifyRequest) => OPENAI_ROUTES.includes(request.routeOptions.url ?? '');

/** Domain error codes and the HTTP status they mean at the edge. */
const STATUS_BY_CODE: Record<string, number> = {
  TESSERA_STREAM_REVISION_CONFLICT: 409,
  TESSERA_EVENT_ID_REUSED: 409,
  TESSERA_INVALID_EVENT_DATA: 422,
  TESSERA_INVALID_EVENT_ENVELOPE: 422,
  TESSERA_INVALID_STREAM_ID: 400,
  TESSERA_UNKNOWN_EVENT_TYPE: 422,
  TESSERA_INVALID_APPEND: 422,
  TESSERA_CONVERSATION_ARCHIVED: 409,
  TESSERA_TURN_ENDED: 409,
  TESSERA_PROMPT_VERSION_CONFLICT: 409,
};

/** Codes not listed above: a missing thing is a 404, a duplicate a 409, anything else a 422. */
function statusOf(code: string): number {
  if (STATUS_BY_CODE[code]) return STATUS_BY_CODE[code];
  if (code.endsWith('_NOT_FOUND')) return 404;
  if (code.endsWith('_EXISTS')) return 409;
  return 422;
}

const FASTIFY_ERRORS: Record<string, { status: number; code: string; field: string; detail?: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'TESSERA_PAYLOAD_TOO_LARGE', field: 'body' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'TESSERA_UNSUPPORTED_MEDIA_TYPE', field: 'headers.content-type' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'TESSERA_INVALID_REQUEST', field: 'headers.content-length' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'TESSERA_MALFORMED_JSON', field: 'body', detail: 'the JSON body is empty' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'TESSERA_MALFORMED_JSON', field: 'body' },
};

/**
 * The one error handler: every failure leaves as RFC 9457 problem+json with a stable
 * code and the offending fields. 5xx bodies say nothing about internals; the log does.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const body = toProblem(error, request);
    if (body.status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ code: body.code, fields: body.errors.map((entry) => entry.field) }, 'request refused');
    if (error instanceof ApiError) void reply.headers(error.headers);
    if (BudgetExhaustedError.isInstance(error)) void reply.headers({ ...budgetExhaustedHeaders(error), ...(isOpenAiRoute(request) && OPENAI_BUDGET_REFUSAL.headers) });
    return sendProblem(reply, body);
  });
  app.setNotFoundHandler((request, reply) => {
    const detail = `no route ${request.method} ${request.url.split('?')[0] ?? ''}`;
    return sendProblem(reply, problem(404, 'TESSERA_NOT_FOUND', detail, [{ field: 'url', message: detail }], request.url));
  });
}

export function sendProblem(reply: FastifyReply, body: Problem): FastifyReply {
  return reply.code(body.status).type('application/problem+json').send(body);
}

function toProblem(error: FastifyError, request: FastifyRequest): Problem {
  const instance = request.url;
  if (hasZodFastifySchemaValidationErrors(error)) {
    const context = error.validationContext ?? 'body';
    const errors = error.validation.flatMap((issue) => {
      const path = [context, ...issue.instancePath.split('/').filter(Boolean)];
      const message = issue.message ?? 'invalid';
      // A member the schema does not know is named itself, not the object holding it.
      const unknownKeys = issue.keyword === 'unrecognized_keys' ? ((issue.params as { keys?: unknown }).keys as string[] | undefined) : undefined;
      if (unknownKeys?.length) return unknownKeys.map((key) => ({ field: [...path, key].join('.'), message: `${key}: not a field of this request` }));
      return [{ field: path.join('.'), message }];
    });
    const first = errors[0];
    return problem(400, 'TESSERA_INVALID_REQUEST', first ? `${first.field}: ${first.message}` : 'invalid request', errors, instance);
  }
  if (error instanceof ApiError) {
    return problem(error.status, error.code, error.message, fieldEntry(error), instance);
  }
  if (BudgetExhaustedError.isInstance(error)) return budgetExhaustedProblem(error, instance, isOpenAiRoute(request) ? OPENAI_BUDGET_REFUSAL.status : 402);
  if (DomainError.isInstance(error)) {
    return problem(statusOf(error.code), error.code, error.message, fieldEntry(error), instance);
  }
  const known = error.code ? FASTIFY_ERRORS[error.code] : undefined;
  if (known) {
    const detail = known.detail ?? error.message;
    return problem(known.status, known.code, detail, [{ field: known.field, message: detail }], instance);
  }
  if (error instanceof SyntaxError || error.statusCode === 400) {
    return problem(400, 'TESSERA_MALFORMED_JSON', error.message, [{ field: 'body', message: error.message }], instance);
  }
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    return problem(error.statusCode, 'TESSERA_INVALID_REQUEST', error.message, [], instance);
  }
  return problem(500, 'TESSERA_INTERNAL', 'the request failed on our side; it has been logged', [], instance);
}

function fieldEntry(error: DomainError): Problem['errors'] {
  return error.field ? [{ field: error.field, message: error.message }] : [];
}
