import type { FastifyInstance } from 'fastify';
import { PROMETHEUS_CONTENT_TYPE, type PrometheusMetrics } from '../../infra/telemetry/prometheus-metrics.js';

/**
 * `GET /metrics` in the Prometheus text format. A public route, like `/health`:
 * scrapers hold no tenant key, and the figures name deployments, never tenants.
 */
export function metricsRoutes(metrics: Pick<PrometheusMetrics, 'scrape'>) {
  return async (scope: FastifyInstance) => {
    scope.get(
      '/metrics',
      { schema: { tags: ['operations'], summary: 'Metrics in the Prometheus text exposition format', security: [] } },
      async (_request, reply) => reply.type(PROMETHEUS_CONTENT_TYPE).send(await metrics.scrape()),
    );
  };
}
