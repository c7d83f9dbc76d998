import type { Meter } from '@opentelemetry/api';

/** A deployment's breaker state as the gateway reports it (declared here: infra does not import the gateway). */
export type BreakerStateName = 'closed' | 'half-open' | 'open' | 'isolated';

/** What the metrics read of one attempt on a deployment; the gateway's AttemptRecord fits. */
export interface ObservedAttempt {
  /** `ok`, or the kind of failure. */
  outcome: string;
  /** Set when the same deployment is tried again after this attempt. */
  retryDelayMs?: number;
}

/** The gateway's hooks, recording into OpenTelemetry instruments; plain functions, passed on unbound. */
export interface GatewayMetrics {
  /** For the gateway's `onBreakerStateChange`. */
  readonly breakerStateChanged: (deployment: string, state: BreakerStateName) => void;
  /** For the gateway's `onAttempt`. */
  readonly attempted: (deployment: string, attempt: ObservedAttempt) => void;
}

/** Higher is worse, so one alert rule (`>= 2`) catches every breaker refusing calls. */
export const BREAKER_STATE_VALUES: Readonly<Record<BreakerStateName, number>> = { closed: 0, 'half-open': 1, open: 2, isolated: 2 };

/**
 * The model gateway's metrics. The Prometheus exporter adds `_total` to counters, so
 * these surface as `tessera_gateway_breaker_state`, `tessera_gateway_breaker_transitions_total`,
 * `tessera_gateway_attempts_total` and `tessera_gateway_retries_total`.
 */
export function createGatewayMetrics(meter: Meter): GatewayMetrics {
  const states = new Map<string, BreakerStateName>();
  meter
    .createObservableGauge('tessera_gateway_breaker_state', {
      description: 'Circuit breaker of each deployment: 0 closed, 1 half-open, 2 open (or isolated by hand).',
    })
    .addCallback((result) => {
      for (const [deployment, state] of states) result.observe(BREAKER_STATE_VALUES[state], { deployment });
    });
  const transitions = meter.createCounter('tessera_gateway_breaker_transitions', {
    description: 'Circuit breaker state changes, by deployment and the state entered.',
  });
  const attempts = meter.createCounter('tessera_gateway_attempts', {
    description: 'Calls that reached a deployment, by outcome (`ok` or the kind of failure).',
  });
  const retries = meter.createCounter('tessera_gateway_retries', {
    description: 'Failed attempts followed by another try on the same deployment.',
  });

  return {
    breakerStateChanged: (deployment, state) => {
      states.set(deployment, state);
      transitions.add(1, { deployment, to: state });
    },
    attempted: (deployment, attempt) => {
      // Breakers report changes only; one that has passed calls without ever changing is closed.
      if (!states.has(deployment)) states.set(deployment, 'closed');
      attempts.add(1, { deployment, outcome: attempt.outcome });
      if (attempt.retryDelayMs !== undefined) retries.add(1, { deployment });
    },
  };
}
