import type { EmbeddingModel, EmbeddingResult } from '../model-spec.js';
import { cacheScopeOf, deploymentEncoding, type Deployment } from '../routing/deployments.js';
import { costMicrosOf } from '../routing/estimate-cost.js';
import { createLatencyTracker } from '../routing/latency-tracker.js';
import { planEmbeddingRoute } from '../routing/plan-route.js';
import type { RoutingReport } from '../routing/routing-report.js';
import { systemClock } from './clock.js';
import type { GatewayModelOptions } from './create-gateway-model.js';
import { startGatewayCall } from './gateway-call.js';
import { withEmbeddingRetries } from './with-retries.js';

/** Embeddings as the gateway returns them: the provider's, plus how they were routed and what they cost. */
export type EmbeddingGatewayResult = EmbeddingResult & { routing: RoutingReport; costMicros: number };

/** An EmbeddingModel for one alias; its failures are GatewayCallErrors, with the routing report. */
export interface EmbeddingGatewayModel extends EmbeddingModel {
  readonly alias: string;
  embed(values: readonly string[], options?: { abortSignal?: AbortSignal }): Promise<EmbeddingGatewayResult>;
}

export interface EmbeddingGatewayModelOptions extends Omit<GatewayModelOptions, 'modelFor' | 'explorationRate'> {
  /** The model behind a deployment, already inside its breaker; shared by every call. */
  modelFor: (deployment: Deployment) => EmbeddingModel;
}

/**
 * One embedding alias: its deployments (one model, the configuration checks) in the
 * listed order, each retried on transient failures, the next taking over when one fails
 * in a way another endpoint may not, and every decision reported, as for chat aliases.
 */
export function createEmbeddingGatewayModel(options: EmbeddingGatewayModelOptions): EmbeddingGatewayModel {
  const { alias, route, modelFor } = options;
  const clock = options.clock ?? systemClock;
  const latency = options.latency ?? createLatencyTracker();
  const failureLatencyMs = options.failureLatencyMs ?? 10_000;
  const [first] = route.deployments;
  if (!first) throw new TypeError(`${alias} needs a deployment`);

  return {
    specificationVersion: 'v1',
    provider: 'gateway',
    // Every deployment of an embedding alias serves this one model.
    modelId: first.model,
    // The deployments serve one model, so any of them may answer for the others; a change to any of them starts the cache afresh.
    cacheScope: cacheScopeOf(route),
    alias,
    dimensions: modelFor(first).dimensions,
    tokenEncoding: deploymentEncoding(first),
    async embed(values, callOptions) {
      const plan = planEmbeddingRoute(alias, route, values);
      const call = startGatewayCall(plan.report, latency, clock, failureLatencyMs);
      for (const deployment of plan.runnable) {
        const startedAt = clock.now();
        const model = withEmbeddingRetries(modelFor(deployment), {
          ...options.retry,
          clock,
          random: options.random,
          onAttempt: (attempt) => {
            plan.report.attempts.push({ deployment: deployment.name, ...attempt });
            options.onAttempt?.(deployment.name, attempt);
          },
        });
        try {
          const result = await model.embed(values, callOptions);
          call.answered(deployment, startedAt);
          call.served(deployment);
          // Some servers report no usage; the count made for the window check stands in, so the call is still priced.
          const inputTokens = result.usage.inputTokens > 0 ? result.usage.inputTokens : plan.inputTokens(deployment);
          return {
            ...result,
            usage: { inputTokens },
            routing: call.snapshot(),
            costMicros: costMicrosOf(deployment.prices, { inputTokens, cachedInputTokens: 0, outputTokens: 0 }),
          };
        } catch (error) {
          if (!call.failed(deployment, error, startedAt, false)) throw call.surface(error);
        }
      }
      throw call.surface(call.exhausted());
    },
  };
}
