import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import './auth/principal.js';
import type { Authenticate } from './auth/api-key-authenticator.js';
import { installErrorHandler } from './errors/error-handler.js';
import { problemSchema } from './errors/problem.js';
import { registerRateLimits, type ApiRateLimits } from './rate-limit/register-rate-limits.js';

export interface ApiDependencies {
  authenticate: Authenticate;
  /** Routes that need an authenticated principal, registered inside the auth scope. */
  routes: ReadonlyArray<(scope: FastifyInstance) => Promise<void> | void>;
  /** Routes open to anyone (health checks). */
  publicRoutes?: ReadonlyArray<(scope: FastifyInstance) => Promise<void> | void>;
  /** Requests and model tokens per minute, per key and per tenant; none when absent. */
  rateLimits?: ApiRateLimits;
  version: string;
}

/** Every error response, as the OpenAPI document describes it. */
export const problemResponses = {
  400: problemSchema,
  401: problemSchema,
  404: problemSchema,
  409: problemSchema,
  413: problemSchema,
  422: problemSchema,
  429: problemSchema,
  500: problemSchema,
  504: problemSchema,
} as const;

/**
 * The HTTP API as one plugin: zod schemas are the route contract and feed the
 * OpenAPI document; one error handler turns every failure into problem+json.
 * Logger, limits, timeouts and graceful close belong to whoever listens (bin/).
 */
export const tesseraApi = fastifyPlugin<ApiDependencies>(async (app, dependencies) => {
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandler(app);
  // Every answer names its request, as OpenAI's do (the SDKs keep it as `_request_id`), and the log line carries the same id.
  app.addHook('onRequest', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  // JSON only: a text body must get 415, not be parsed and refused as the wrong type.
  app.removeContentTypeParser('text/plain');

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Tessera', version: dependencies.version, description: 'Event-sourced backend for AI features.' },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'tsk_… API key' } } },
      security: [{ apiKey: [] }],
    },
    transform: jsonSchemaTransform,
  });

  const typed = app.withTypeProvider<ZodTypeProvider>();
  typed.get(
    '/openapi.json',
    { schema: { hide: true } },
    async () => app.swagger(),
  );
  typed.get(
    '/health',
    { schema: { tags: ['operations'], security: [], response: { 200: z.object({ status: z.literal('ok'), version: z.string() }) } } },
    async () => ({ status: 'ok' as const, version: dependencies.version }),
  );
  for (const register of dependencies.publicRoutes ?? []) await register(app);

  await app.register(async (scope) => {
    scope.decorateRequest('principal', null as never);
    scope.addHook('onRequest', async (request) => {
      request.principal = await dependencies.authenticate(request.headers.authorization);
    });
    // After authentication: the limits are counted per key and per tenant.
    if (dependencies.rateLimits) registerRateLimits(scope, dependencies.rateLimits);
    for (const register of dependencies.routes) await register(scope);
  });
});
