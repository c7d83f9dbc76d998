import type { Meter } from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';

/** The Prometheus text exposition format, as scrapers negotiate it. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface PrometheusMetrics {
  /** A meter whose instruments appear in every scrape; `scope` names the instrumentation scope. */
  meter(scope: string): Meter;
  /** Every instrument's current values in the Prometheus text format; rejects when an instrument's callback failed. */
  scrape(): Promise<string>;
  /** Stops collecting; instruments recorded afterwards go nowhere. */
  shutdown(): Promise<void>;
}

/**
 * One process's OpenTelemetry metrics, read on demand. The exporter's own HTTP server
 * never starts: the API already listens, and serves `scrape()` at `GET /metrics`.
 * Each call makes a provider of its own (no global registration), so several Tessera
 * instances in one process, as in tests, never count into each other.
 */
export function createPrometheusMetrics(): PrometheusMetrics {
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({ readers: [exporter] });
  // Series carry only their own labels: Prometheus adds job and instance as it scrapes.
  const serializer = new PrometheusSerializer('', false, undefined, true, true);
  return {
    meter: (scope) => provider.getMeter(scope),
    async scrape() {
      const { resourceMetrics, errors } = await exporter.collect();
      // A partial scrape would read as series that vanished; a failed one shows as `up == 0`.
      if (errors.length > 0) throw new AggregateError(errors, 'collecting metrics failed');
      return serializer.serialize(resourceMetrics);
    },
    shutdown: () => provider.shutdown(),
  };
}
