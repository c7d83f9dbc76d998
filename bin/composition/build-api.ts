import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createApiKeyAuthenticator } from '../../api/auth/api-key-authenticator.js';
import { tesseraApi } from '../../api/app.js';
import { conversationRoutes } from '../../api/conversations/conversation-routes.js';
import { budgetRoutes } from '../../api/budgets/budget-routes.js';
import { usageRoutes } from '../../api/usage/usage-routes.js';
import { createIdempotencyStore, migrateIdempotencyKeys } from '../../api/idempotency/idempotency-store.js';
import { answerClientError } from '../../api/errors/client-error-handler.js';
import { installRequestDeadline } from '../../api/request-deadline.js';
import type { Config } from '../../infra/config/settings.js';
import { startStreamEventHub } from '../../infra/event-store/stream-event-hub.js';
import { turnRoutes } from '../../api/turns/turn-routes.js';
import { openAiRoutes } from '../../api/openai/openai-routes.js';
import { openRateLimits } from '../../api/rate-limit/open-rate-limits.js';
import { metricsRoutes } from '../../api/metrics/metrics-routes.js';
import type { Backend } from './open-backend.js';
import { createTurnDriver } from '../../handlers/turn/drive-turn.js';
import { createTurnDriveSlots } from '../../handlers/turn/drive-slots.js';
import { emptyRetriever } from '../../handlers/turn/index.js';
import { pipelineDependencies } from './pipeline-dependencies.js';
import { aliasEncodings } from './alias-encodings.js';
import { loadGatewayConfig } from './gateway-config.js';
import { createEmbeddingBudgets } from './model-budgets.js';

export const TESSERA_VERSION = '0.1.0';

const REQUEST_DEADLINE_MARGIN_MS = 1_000;

/** The Fastify server with Tessera's API plugin, limits and timeouts from configuration. */
export async function buildApi(backend: Backend, config: Config, logger: Logger): Promise<FastifyInstance> {
  await migrateIdempotencyKeys(backend.readModels);
  // Typed as Fastify's logger so the instance type is the plain FastifyInstance routes expect.
  const loggerInstance: FastifyBaseLogger = logger;
  const app = Fastify({
    loggerInstance,
    bodyLimit: config.httpBodyLimitBytes,
    requestTimeout: config.httpRequestTimeoutMs,
    // Streams stay open past the request timeout; idle sockets do not.
    connectionTimeout: 0,
    keepAliveTimeout: 72_000,
    return503OnClosing: true,
    genReqId: () => crypto.randomUUID(),
    clientErrorHandler: answerClientError,
  });
  // A backstop past the routes' own deadlines (a completion's turn), which answer with more to say.
  installRequestDeadline(app, config.httpRequestTimeoutMs + REQUEST_DEADLINE_MARGIN_MS);
  const idempotency = createIdempotencyStore(backend.readModels);
  const deltas = await backend.deltas();
  const turnDefaults = {
    maxModelSteps: config.turnMaxModelSteps,
    maxToolCalls: config.turnMaxToolCalls,
    maxOutputTokens: config.turnMaxOutputTokens,
    deadlineMs: config.turnDeadlineMs,
  };
  const drives = config.turnDriveInline
    ? createTurnDriveSlots(createTurnDriver(await pipelineDependencies(backend, config, logger.child({ component: 'driver' })), emptyRetriever), config.turnDriveMaxInFlight)
    : undefined;
  const rateLimits = await openRateLimits({
    limits: {
      keyRequestsPerMinute: config.rateLimitKeyRequestsPerMinute,
      tenantRequestsPerMinute: config.rateLimitTenantRequestsPerMinute,
      keyTokensPerMinute: config.rateLimitKeyTokensPerMinute,
      tenantTokensPerMinute: config.rateLimitTenantTokensPerMinute,
    },
    redis: config.profile === 'services' ? { url: config.redisUrl, keyPrefix: `${config.redisKeyPrefix}rate-limit:` } : undefined,
    callsAhead: config.rateLimitCountAhead,
    defaultMaxOutputTokens: config.turnMaxOutputTokens,
    encodingOf: aliasEncodings(config),
    logger: loggerInstance,
  });
  const hub = await startStreamEventHub(backend.store, (error) => logger.error({ err: error }, 'turn event hub read failed'), backend.onAppended);
  await app.register(tesseraApi, {
    version: TESSERA_VERSION,
    authenticate: createApiKeyAuthenticator(backend.readModels),
    rateLimits,
    publicRoutes: backend.metrics ? [metricsRoutes(backend.metrics)] : [],
    routes: [
      conversationRoutes({ store: backend.store, readModels: backend.readModels, idempotency }),
      usageRoutes({ readModels: backend.readModels }),
      budgetRoutes({ store: backend.store, guard: backend.budgetGuard() }),
      turnRoutes({ store: backend.store, idempotency, hub, deltas, turnDefaults, drives, budgets: backend.budgetGuard(), chatAliases: () => backend.models().chatAliases() }),
      openAiRoutes({
        store: backend.store,
        idempotency,
        hub,
        deltas,
        models: backend.models(),
        turnDefaults,
        drives,
        budgets: backend.budgetGuard(),
        embeddingCalls: { budgets: createEmbeddingBudgets(backend.budgetGuard(), loadGatewayConfig(config)), maxCallMs: config.modelCallLeaseMs, cache: await embeddingCacheOf(backend, config) },
        completionTimeoutMs: config.httpRequestTimeoutMs,
      }),
    ],
  });
  // One grace period for the whole shutdown: the turns being driven have been running while open streams drained.
  let closingSince = 0;
  app.addHook('preClose', async () => {
    closingSince = performance.now();
  });
  app.addHook('onClose', async () => {
    // Turns this process is driving (a REST turn answered 202, say) finish before the backend closes under them.
    const graceLeftMs = Math.max(0, config.httpShutdownGraceMs - (performance.now() - closingSince));
    const left = await drives?.drained(graceLeftMs);
    if (left) logger.warn({ turns: left }, 'turns still being driven at shutdown: the pipeline workers take them over once their model calls\' leases end');
  });
  app.addHook('onClose', () => hub.close());
  app.addHook('onClose', async () => rateLimits?.limits.close());
  return app;
}

async function embeddingCacheOf(backend: Backend, config: Config) {
  const vectors = await backend.embeddingCache();
  return vectors && { vectors, ttlMs: config.cacheTtlMs };
}
