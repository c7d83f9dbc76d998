import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { setBudget } from '../../commands/budgets.js';
import { budgetKeyOf } from '../../domain/budget/budget-definition.js';
import { DomainError } from '../../domain/shared/domain-error.js';
import type { BudgetGuard } from '../../gateway/budgets/index.js';
import type { EventStore } from '../../infra/event-store/port.js';
import { problemResponses } from '../app.js';
import type { Principal } from '../auth/principal.js';
import { ApiError } from '../errors/api-error.js';
import { problemSchema } from '../errors/problem.js';
import { budgetList, budgetView, setBudgetBody } from './budget-schemas.js';

export interface BudgetRouteDependencies {
  store: EventStore;
  /** The API process's guard: it reports standings, and forgets cached budgets this process changes. */
  guard: BudgetGuard;
}

/** A key that may spend must not be able to raise its own limit unless it was given that power. */
const WRITE_SCOPES = ['*', 'budgets:write'];

export function budgetRoutes(dependencies: BudgetRouteDependencies) {
  return async (scope: FastifyInstance) => {
    const app = scope.withTypeProvider<ZodTypeProvider>();

    app.put(
      '/v1/budgets',
      {
        schema: {
          tags: ['budgets'],
          summary: "Set or replace a daily or monthly budget of the caller's tenant or one of its keys",
          body: setBudgetBody,
          response: { 200: budgetView, 403: problemSchema, ...problemResponses },
        },
      },
      async (request) => {
        requireWriteScope(request.principal);
        const { tenantId, keyId } = request.principal;
        await withBodyFields(() =>
          setBudget(dependencies.store, { ...request.body, tenantId, actor: `key:${keyId}`, correlationId: request.id }),
        );
        dependencies.guard.forget(tenantId);
        const standings = await dependencies.guard.standings(tenantId);
        const standing = standings.find((candidate) => budgetKeyOf(candidate) === budgetKeyOf(request.body));
        if (!standing) throw new Error(`budget ${budgetKeyOf(request.body)} is not in force right after it was set`);
        return standing;
      },
    );

    app.get(
      '/v1/budgets',
      {
        schema: {
          tags: ['budgets'],
          summary: "The tenant's budgets with what is spent, reserved and left in the current window",
          response: { 200: budgetList, ...problemResponses },
        },
      },
      async (request) => ({ budgets: await dependencies.guard.standings(request.principal.tenantId) }),
    );
  };
}

function requireWriteScope(principal: Principal): void {
  if (principal.scopes.some((granted) => WRITE_SCOPES.includes(granted))) return;
  throw new ApiError(403, 'TESSERA_FORBIDDEN', 'this API key may not set budgets: it needs the budgets:write scope', 'headers.authorization');
}

/** The decider names its own fields (`keyId`); the client sent them in the body. */
async function withBodyFields<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (DomainError.isInstance(error) && error.field === 'keyId') throw new ApiError(422, error.code, error.message, 'body.keyId');
    throw error;
  }
}
