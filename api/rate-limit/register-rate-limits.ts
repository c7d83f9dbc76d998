import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Principal } from '../auth/principal.js';
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
 * Requests are counted on arrival, before the body is read, except on the routes that
 * call models while a token limit is set: there the request and its tokens are counted
 * together once the body is valid (one round trip to the shared counters instead of
 * two), and a request refused before that (its body too large, malformed, invalid) is
 * counted as it is refused.
 */
export function registerRateLimits(scope: FastifyInstance, rateLimits: ApiRateLimits): void {
  const { limits, tokenEstimators } = rateLimits;
  const countsRequests = limits.limits('requests');
  const countsTokens = limits.limits('tokens');
  const requests = countsRequests ? { requests: 1 } : {};
  const tokenEstimateOf = (request: FastifyRequest) => (countsTokens ? tokenEstimators.get(routeKeyOf(request)) : undefined);
  const countedWithTokens = new WeakSet<FastifyRequest>();

  if (countsRequests) {
    scope.addHook('onRequest', async (request, reply) => {
      if (tokenEstimateOf(request)) return;
      reply.headers(await limits.admit(request.principal, requests));
    });
  }
  if (countsTokens) {
    scope.addHook('preHandler', async (request, reply) => {
      const estimate = tokenEstimateOf(request);
      if (!estimate) return;
      countedWithTokens.add(request);
      reply.headers(await limits.admit(request.principal, { ...requests, tokens: estimate(request.body) }));
    });
  }
  if (countsRequests && countsTokens) {
    scope.addHook('onError', async (request) => {
      // No principal: authentication refused it, and there is nobody to count it against.
      const authenticated = (request.principal as Principal | null) !== null;
      if (!authenticated || !tokenEstimateOf(request) || countedWithTokens.has(request)) return;
      // Counted only: the answer is already the refusal of its body, and a counter that cannot be reached must not replace it.
      await limits.admit(request.principal, requests).catch(() => undefined);
    });
  }
}
