import { ModelCallError } from '../model-call-error.js';
import type { EmbeddingModel, LanguageModel } from '../model-spec.js';
import { aliasForTask, isEmbeddingAlias, type BreakerConfig, type Deployment, type GatewayConfig } from '../routing/deployments.js';
import { createLatencyTracker, type LatencyTracker } from '../routing/latency-tracker.js';
import { systemClock, type Clock } from './clock.js';
import { createDeploymentEmbeddingModel, createDeploymentModel } from './create-deployment-model.js';
import { createEmbeddingGatewayModel, type EmbeddingGatewayModel } from './create-embedding-gateway-model.js';
import { createGatewayModel, type GatewayModelOptions } from './create-gateway-model.js';
import type { GatewayModel } from './gateway-call-error.js';
import { createRetryBudget, type RetryBudget } from './retry-budget.js';
import {
  DEFAULT_BREAKER_RULE,
  DEFAULT_HALF_OPEN_AFTER_MS,
  withCircuitBreaker,
  withEmbeddingCircuitBreaker,
  type BreakerState,
  type BreakerTransition,
  type CircuitBreakerOptions,
  type Guarded,
  type GuardedEmbeddingModel,
  type GuardedModel,
} from './with-circuit-breaker.js';
import { withTimeouts } from './with-timeouts.js';

export interface GatewayOptions extends Pick<GatewayModelOptions, 'random' | 'explorationRate' | 'failureLatencyMs' | 'onAttempt'> {
  /** Backoff, retry budget and report timestamps; a manual clock makes them virtual. */
  clock?: Clock;
  /** Timeouts race real work, so they keep the system clock unless told otherwise. */
  timeoutClock?: Clock;
  retry?: Omit<NonNullable<GatewayModelOptions['retry']>, 'budget'>;
  /** One per process; defaults to `createRetryBudget()` on `clock`. */
  budget?: RetryBudget;
  breaker?: Omit<CircuitBreakerOptions, 'name' | 'onStateChange'>;
  onBreakerStateChange?: (deployment: string, state: BreakerState, transition: BreakerTransition) => void;
  latency?: LatencyTracker;
  /** The bare provider model of a deployment; defaults to `createDeploymentModel`. */
  createModel?: (deployment: Deployment) => LanguageModel;
  /** The vector size embedding aliases return: the index's. Required when the configuration has one. */
  embeddingDimensions?: number;
  /** The bare embedding model of a deployment; defaults to `createDeploymentEmbeddingModel`. */
  createEmbeddingModel?: (deployment: Deployment, dimensions: number) => EmbeddingModel;
}

export interface Gateway {
  readonly config: GatewayConfig;
  readonly latency: LatencyTracker;
  aliases(): string[];
  /** Throws a bad-request ModelCallError for an alias the configuration lacks. */
  languageModel(alias: string): GatewayModel;
  modelForTask(task: string): GatewayModel;
  /** Every alias's model, for `createModelRegistry`. */
  languageModels(): Record<string, GatewayModel>;
  /** Every embedding alias's model, for `createModelRegistry`. */
  embeddingModels(): Record<string, EmbeddingGatewayModel>;
  breakerStates(): Record<string, BreakerState>;
}

/**
 * The gateway of one process: one breaker and one latency figure per deployment name
 * (shared by every alias that lists it), one retry budget, one model per alias. Chat
 * and embedding deployments get the same breakers and retries.
 */
export function createGateway(config: GatewayConfig, options: GatewayOptions = {}): Gateway {
  const clock = options.clock ?? systemClock;
  const latency = options.latency ?? createLatencyTracker();
  const budget = options.budget ?? createRetryBudget({ clock });
  const createModel = options.createModel ?? createDeploymentModel;
  const breakerOptions = (deployment: Deployment): CircuitBreakerOptions => ({
    ...options.breaker,
    ...breakerSettingsOf(deployment.breaker ?? config.breaker),
    name: deployment.name,
    onStateChange: (state, name, transition) => options.onBreakerStateChange?.(name, state, transition),
  });
  // The file's timeouts for a deployment that sets none: its provider's connection reads them too.
  const withFileTimeouts = (deployment: Deployment): Deployment => (deployment.timeouts || !config.timeouts ? deployment : { ...deployment, timeouts: config.timeouts });
  const guarded = new Map<string, GuardedModel>();
  const modelFor = (listed: Deployment): GuardedModel => {
    let model = guarded.get(listed.name);
    if (!model) {
      const deployment = withFileTimeouts(listed);
      const timed = withTimeouts(createModel(deployment), { ...deployment.timeouts, clock: options.timeoutClock ?? systemClock });
      model = withCircuitBreaker(timed, breakerOptions(deployment));
      guarded.set(listed.name, model);
    }
    return model;
  };
  const guardedEmbeddings = new Map<string, GuardedEmbeddingModel>();
  const embeddingModelFor = (deployment: Deployment): GuardedEmbeddingModel => {
    let model = guardedEmbeddings.get(deployment.name);
    if (!model) {
      if (options.embeddingDimensions === undefined) throw new TypeError('an embedding alias needs GatewayOptions.embeddingDimensions');
      const bare = (options.createEmbeddingModel ?? createDeploymentEmbeddingModel)(withFileTimeouts(deployment), options.embeddingDimensions);
      model = withEmbeddingCircuitBreaker(bare, breakerOptions(deployment));
      guardedEmbeddings.set(deployment.name, model);
    }
    return model;
  };

  const models = new Map<string, GatewayModel>();
  const embeddingModels = new Map<string, EmbeddingGatewayModel>();
  for (const [alias, route] of Object.entries(config.aliases)) {
    if (isEmbeddingAlias(alias)) {
      embeddingModels.set(alias, createEmbeddingGatewayModel({ ...options, alias, route, modelFor: embeddingModelFor, clock, latency, retry: { ...options.retry, budget } }));
      continue;
    }
    route.deployments.forEach(modelFor);
    models.set(alias, createGatewayModel({ ...options, alias, route, modelFor, clock, latency, retry: { ...options.retry, budget } }));
  }

  const languageModel = (alias: string): GatewayModel => {
    const model = models.get(alias);
    if (!model) throw new ModelCallError('bad-request', `unknown model "${alias}"; configured: ${[...models.keys()].join(', ')}`);
    return model;
  };
  return {
    config,
    latency,
    aliases: () => [...models.keys()],
    languageModel,
    modelForTask: (task) => languageModel(aliasForTask(config, task)),
    languageModels: () => Object.fromEntries(models),
    embeddingModels: () => Object.fromEntries(embeddingModels),
    breakerStates: () => Object.fromEntries([...guarded, ...guardedEmbeddings].map(([name, model]: [string, Guarded]) => [name, model.breakerState()])),
  };
}

/** The file's breaker settings, where it has any; what they leave unset keeps the defaults. */
function breakerSettingsOf(breaker: BreakerConfig | undefined): Pick<CircuitBreakerOptions, 'rule' | 'halfOpenAfterMs'> {
  if (!breaker) return {};
  const { consecutiveFailures, halfOpenAfterMs } = breaker;
  return {
    rule:
      consecutiveFailures !== undefined
        ? { consecutiveFailures }
        : {
            failureRate: breaker.failureRate ?? DEFAULT_BREAKER_RULE.failureRate,
            windowMs: breaker.windowMs ?? DEFAULT_BREAKER_RULE.windowMs,
            minimumCalls: breaker.minimumCalls ?? DEFAULT_BREAKER_RULE.minimumCalls,
          },
    halfOpenAfterMs: halfOpenAfterMs ?? DEFAULT_HALF_OPEN_AFTER_MS,
  };
}
