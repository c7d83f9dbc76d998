import { ModelCallError } from '../model-call-error.js';
import type { Deployment } from '../routing/deployments.js';
import type { LatencyTracker } from '../routing/latency-tracker.js';
import { snapshotReport, type RoutingReport } from '../routing/routing-report.js';
import type { Clock } from './clock.js';
import { GatewayCallError, type CutStream } from './gateway-call-error.js';
import { CircuitOpenError } from './with-circuit-breaker.js';

/**
 * The bookkeeping of one gateway call across its deployments: what each one did, what
 * was measured, and the error to end with. Decisions stay in the report as they happen.
 */
export interface GatewayCall {
  readonly report: RoutingReport;
  /** The deployment produced its first output (or its whole answer): it is the one chosen now. */
  answered(deployment: Deployment, startedAt: number): void;
  served(deployment: Deployment): void;
  /** Records the failure; true when the next deployment may take over. */
  failed(deployment: Deployment, error: unknown, startedAt: number, streamed: boolean): boolean;
  /** The error once no deployment is left. */
  exhausted(): unknown;
  /** The error as the caller gets it: with the report (and what a cut stream cost) when it is a ModelCallError. */
  surface(error: unknown, cutStream?: CutStream): unknown;
  snapshot(): RoutingReport;
}

export function startGatewayCall(report: RoutingReport, latency: LatencyTracker, clock: Clock, failureLatencyMs: number): GatewayCall {
  const touched = new Set<string>();
  let lastError: unknown;
  let lastCircuitError: unknown;
  const note = (deployment: string, text: string): void => {
    touched.add(deployment);
    const candidate = report.candidates.find((entry) => entry.deployment === deployment);
    if (candidate) candidate.reason += `; ${text}`;
  };
  const finish = (): void => {
    for (const candidate of report.candidates) {
      if (!candidate.skipped && !touched.has(candidate.deployment)) note(candidate.deployment, 'not tried');
    }
  };
  const attemptsOn = (deployment: string): number => report.attempts.filter((attempt) => attempt.deployment === deployment).length;

  return {
    report,
    answered(deployment, startedAt) {
      report.chosen = deployment.name;
      latency.record(deployment.name, clock.now() - startedAt);
    },
    served(deployment) {
      note(deployment.name, `served after ${attemptsOn(deployment.name)} attempt(s)`);
      finish();
    },
    failed(deployment, error, startedAt, streamed) {
      const attempts = attemptsOn(deployment.name);
      if (CircuitOpenError.isCircuitOpen(error) && attempts === 0) {
        const candidate = report.candidates.find((entry) => entry.deployment === deployment.name);
        if (candidate) candidate.skipped = 'breaker-open';
        note(deployment.name, `circuit breaker ${error.circuit}`);
        lastCircuitError = error;
        return true;
      }
      const kind = ModelCallError.isInstance(error) ? error.kind : 'unexpected error';
      const breakerNote = CircuitOpenError.isCircuitOpen(error) ? ', then its circuit breaker opened' : '';
      const when = streamed ? 'after streaming output' : `after ${attempts} attempt(s)${breakerNote}`;
      note(deployment.name, `failed (${kind}) ${when}`);
      // A breaker that opened during the retries is the deployment's last word: kept, so an outage is never reported as something else.
      if (CircuitOpenError.isCircuitOpen(error)) lastCircuitError = error;
      else lastError = error;
      latency.record(deployment.name, Math.max(clock.now() - startedAt, failureLatencyMs));
      if (streamed) return false;
      // Retryable kinds, and an overflow the count before the call missed (another tokenizer, say): a larger window may fit.
      return ModelCallError.isInstance(error) && (error.retryable || error.kind === 'context-overflow');
    },
    exhausted() {
      if (lastError !== undefined || lastCircuitError !== undefined) return lastError ?? lastCircuitError;
      const skipped = report.candidates.map((candidate) => `${candidate.deployment}: ${candidate.reason}`).join('; ');
      return new ModelCallError('context-overflow', `${report.alias}: no deployment has room for this request (${skipped})`);
    },
    surface(error, cutStream) {
      finish();
      return ModelCallError.isInstance(error) ? new GatewayCallError(error, snapshotReport(report), cutStream) : error;
    },
    snapshot: () => snapshotReport(report),
  };
}
