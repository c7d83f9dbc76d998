import type { FastifyInstance } from 'fastify';
import type { RateLimits } from './rate-limits.js';
import { routeKeyOf, type TokenEstimator } from './token-estimates.js';

export interface ApiRateLimits {
  limits: RateLimits;
  /** Routes that call models (`METHOD url`) and how to estimate their tokens. */
  tokenEstimators: ReadonlyMap<string, TokenEstimator>;
}

/**
 * Rate limits for every route of an authenticated scope. Register after the hook that
 * sets `request.principal`: hooks of one scope run in the order they were added.
 * Requests are counted on arrival (before the body is read); tokens once the body is
 * validated, on the routes that call models.
 */
export function registerRateLimits(scope: FastifyInstance, rateLimits: ApiRateLimits): void {
  const { limits, tokenEstimators } = rateLimits;
  if (limits.limits('requests')) {
    scope.addHook('onRequest', async (request, reply) => {
      reply.headers(await limits.admit(request.principal, 'requests', 1));
    });
  }
  if (limits.limits('tokens')) {
    scope.addHook('preHandler', async (request, reply) => {
      const estimate = tokenEstimators.get(routeKeyOf(request));
      if (!estimate) return;
      reply.headers(await limits.admit(request.principal, 'tokens', estimate(request.body)));
    });
  }
}
