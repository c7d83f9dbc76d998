import type { ModelCallErrorKind } from '../model-call-error.js';
import type { RoutingStrategy } from './deployments.js';

/**
 * Every decision the gateway took for one call, so the pipeline can record it in
 * ModelCallCompleted / ModelCallFailed and a turn can be explained afterwards.
 *
 * How it travels (the model spec is not changed): a gateway model's `finish` part and
 * `generate` result carry it as `result.routing` (`GatewayResult`), and the error it
 * throws is a `GatewayCallError` (still a `ModelCallError`) with `routing`.
 * `routingReportOf(resultOrError)` reads either.
 */
export interface RoutingReport {
  alias: string;
  strategy: RoutingStrategy;
  /** Every deployment of the alias, in the order routing ranked them. */
  candidates: RoutingCandidate[];
  /** The deployment that answered, or that had streamed output when the call failed. */
  chosen?: string;
  /** Calls that reached a provider, in order, across retries and fallbacks. */
  attempts: RoutingAttempt[];
}

export type RoutingSkip = 'context-window' | 'breaker-open';

export interface RoutingCandidate {
  deployment: string;
  /** `openai-compatible` or `local`. */
  provider: string;
  /** The model the deployment serves, as configured. */
  model: string;
  /** Not called at all, and why. */
  skipped?: RoutingSkip;
  /** Why it ranked where it did, then what happened to it. */
  reason: string;
}

/** Why a failed attempt was the last one on its deployment. */
export type RetryRefusal = 'not-retryable' | 'output-streamed' | 'attempts-exhausted' | 'budget-exhausted' | 'retry-after-too-long';

export interface RoutingAttempt {
  deployment: string;
  /** Epoch milliseconds, by the gateway's clock. */
  startedAt: number;
  durationMs: number;
  outcome: 'ok' | ModelCallErrorKind;
  /** The wait the provider asked for. */
  retryAfterMs?: number;
  /** After a failure: the wait before the same deployment was tried again… */
  retryDelayMs?: number;
  /** …or why it was not. */
  retryRefused?: RetryRefusal;
}

export function createRoutingReport(alias: string, strategy: RoutingStrategy): RoutingReport {
  return { alias, strategy, candidates: [], attempts: [] };
}

/** A copy that later decisions cannot change, for results and errors handed out. */
export function snapshotReport(report: RoutingReport): RoutingReport {
  return structuredClone(report);
}

/** The report carried by a gateway result or a gateway error; undefined for anything else. */
export function routingReportOf(value: unknown): RoutingReport | undefined {
  if (typeof value !== 'object' || value === null || !('routing' in value)) return undefined;
  const routing = (value as { routing?: unknown }).routing;
  return typeof routing === 'object' && routing !== null && 'alias' in routing ? (routing as RoutingReport) : undefined;
}
