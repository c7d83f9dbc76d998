import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ReadModels } from '../../projections/read-model-database.js';
import { problemResponses } from '../app.js';
import { readUsage, totalsOf } from './read-usage.js';
import { resolveUsageRange } from './usage-range.js';
import { usageQuerystring, usageReport } from './usage-schemas.js';

export interface UsageRouteDependencies {
  readModels: ReadModels;
  /** Where "today" comes from for the default range. */
  now?: () => Date;
}

/** `GET /v1/usage`: the caller's tenant's cost ledger, summed over a range of days and grouped. */
export function usageRoutes(dependencies: UsageRouteDependencies) {
  const now = dependencies.now ?? (() => new Date());
  return async (scope: FastifyInstance) => {
    const app = scope.withTypeProvider<ZodTypeProvider>();

    app.get(
      '/v1/usage',
      {
        schema: {
          tags: ['usage'],
          summary: 'Model usage and cost by user, feature, model, deployment and day',
          querystring: usageQuerystring,
          response: { 200: usageReport, ...problemResponses },
        },
      },
      async (request) => {
        const { from, to, groupBy = [], user, feature, model, deployment } = request.query;
        const range = resolveUsageRange({ from, to }, now());
        const data = await readUsage(dependencies.readModels, {
          tenantId: request.principal.tenantId,
          range,
          groupBy,
          filters: { user, feature, model, deployment },
        });
        return { object: 'list' as const, from: range.from, to: range.to, groupBy, data, totals: totalsOf(data) };
      },
    );
  };
}
