import type { LanguageModel, ModelRequest } from '../model-spec.js';
import { cacheScopeOf, deploymentTokenCounter, outputCapOn, type AliasRoute, type Deployment } from '../routing/deployments.js';
import { costMicrosOf, promptTokensOn } from '../routing/estimate-cost.js';
import { createLatencyTracker, type LatencyTracker } from '../routing/latency-tracker.js';
import { planRoute } from '../routing/plan-route.js';
import { systemClock, type Clock } from './clock.js';
import { startGatewayCall } from './gateway-call.js';
import { createStreamedOutput, type StreamedOutput } from './streamed-output.js';
import type { EstimatedSpending, GatewayModel, GatewayStreamPart } from './gateway-call-error.js';
import { withRetries, type AttemptRecord, type RetryOptions } from './with-retries.js';

export interface GatewayModelOptions {
  alias: string;
  route: AliasRoute;
  /** The model behind a deployment, already inside its breaker and timeouts; shared by every call. */
  modelFor: (deployment: Deployment) => LanguageModel;
  retry?: Omit<RetryOptions, 'clock' | 'random' | 'onAttempt'>;
  latency?: LatencyTracker;
  /** Drives backoff and the report's timestamps. */
  clock?: Clock;
  random?: () => number;
  /** Chance that `lowest-latency` tries a slower deployment first; defaults to 0.05. */
  explorationRate?: number;
  /** Latency recorded for a failed deployment, so `lowest-latency` stops preferring it; defaults to 10 s. */
  failureLatencyMs?: number;
  /** Every attempt that reached a deployment, as it enters the call's report: for metrics. */
  onAttempt?: (deployment: string, attempt: AttemptRecord) => void;
}

/**
 * One alias as a LanguageModel: ranks its deployments, skips those too small for the
 * request, retries each on transient failures, falls back along the ranking, and
 * reports every decision. Output already streamed is never followed by a fallback: the
 * call fails with it as `partialText` instead of a second answer spliced on.
 */
export function createGatewayModel(options: GatewayModelOptions): GatewayModel {
  const { alias, route, modelFor } = options;
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const latency = options.latency ?? createLatencyTracker();
  const failureLatencyMs = options.failureLatencyMs ?? 10_000;
  const explorationRate = options.explorationRate ?? 0.05;

  const begin = (request: ModelRequest) => {
    const plan = planRoute(alias, route, request, { random, latency, explorationRate });
    const call = startGatewayCall(plan.report, latency, clock, failureLatencyMs);
    const attemptsOn = (deployment: Deployment): LanguageModel =>
      capOutputOn(deployment, withRetries(modelFor(deployment), {
        ...options.retry,
        clock,
        random,
        onAttempt: (attempt) => {
          plan.report.attempts.push({ deployment: deployment.name, ...attempt });
          options.onAttempt?.(deployment.name, attempt);
        },
      }));
    return { plan, call, attemptsOn };
  };

  return {
    specificationVersion: 'v1',
    provider: 'gateway',
    modelId: alias,
    cacheScope: cacheScopeOf(route),
    alias,

    async generate(request) {
      const { plan, call, attemptsOn } = begin(request);
      for (const deployment of plan.runnable) {
        const startedAt = clock.now();
        try {
          const result = await attemptsOn(deployment).generate(request);
          call.answered(deployment, startedAt);
          call.served(deployment);
          return { ...result, routing: call.snapshot(), costMicros: costMicrosOf(deployment.prices, result.usage) };
        } catch (error) {
          if (!call.failed(deployment, error, startedAt, false)) throw call.surface(error);
        }
      }
      throw call.surface(call.exhausted());
    },

    async *stream(request): AsyncGenerator<GatewayStreamPart> {
      const { plan, call, attemptsOn } = begin(request);
      for (const deployment of plan.runnable) {
        const startedAt = clock.now();
        const output = createStreamedOutput();
        try {
          for await (const part of attemptsOn(deployment).stream(request)) {
            // Latency is time to the first part: what a user waits for, retries included.
            if (!output.started) call.answered(deployment, startedAt);
            if (part.type !== 'finish') {
              output.add(part);
              yield part;
              continue;
            }
            call.served(deployment);
            const costMicros = costMicrosOf(deployment.prices, part.result.usage);
            yield { type: 'finish', result: { ...part.result, routing: call.snapshot(), costMicros } };
          }
          return;
        } catch (error) {
          if (!call.failed(deployment, error, startedAt, output.started)) {
            throw call.surface(error, output.started ? { spent: spentOn(deployment, request, output), partialToolCalls: output.toolCalls() } : undefined);
          }
        }
      }
      throw call.surface(call.exhausted());
    },
  };
}

/** A deployment is never asked for more output than it allows. */
function capOutputOn(deployment: Deployment, model: LanguageModel): LanguageModel {
  const capped = (request: ModelRequest): ModelRequest => ({ ...request, maxOutputTokens: outputCapOn(deployment, request.maxOutputTokens) });
  return { ...model, generate: (request) => model.generate(capped(request)), stream: (request) => model.stream(capped(request)) };
}

/** The prompt and the output a cut stream delivered, text and tool calls, priced as the provider bills them. */
function spentOn(deployment: Deployment, request: ModelRequest, output: StreamedOutput): EstimatedSpending {
  const counter = deploymentTokenCounter(deployment);
  const usage = {
    inputTokens: promptTokensOn(deployment, request),
    cachedInputTokens: 0,
    outputTokens: output.toolCalls().reduce((tokens, toolCall) => tokens + counter.text(toolCall.name + toolCall.arguments), counter.text(output.text())),
  };
  return { usage, costMicros: costMicrosOf(deployment.prices, usage), provider: deployment.provider, modelId: deployment.model };
}
