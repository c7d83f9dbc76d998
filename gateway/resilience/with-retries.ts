import { ModelCallError } from '../model-call-error.js';
import type { EmbeddingModel, LanguageModel, ModelStreamPart } from '../model-spec.js';
import type { RetryRefusal, RoutingAttempt } from '../routing/routing-report.js';
import { retryDelay, type BackoffOptions } from './backoff.js';
import { CircuitOpenError } from './with-circuit-breaker.js';
import { systemClock, type Clock } from './clock.js';
import type { RetryBudget } from './retry-budget.js';

export type AttemptRecord = Omit<RoutingAttempt, 'deployment'>;

export interface RetryOptions extends Partial<BackoffOptions> {
  /** Retries after the first attempt; defaults to 2. */
  maxRetries?: number;
  /** A longer Retry-After is not waited out: the call fails now so a fallback can serve; defaults to 20 s. */
  maxRetryAfterMs?: number;
  /** Shared by every deployment of the process; without one, retries are limited only by `maxRetries`. */
  budget?: RetryBudget;
  clock?: Clock;
  random?: () => number;
  /** Every attempt that reached the model, with what was decided after it. */
  onAttempt?: (attempt: AttemptRecord) => void;
}

/**
 * Retries one model on transient failures (rate-limited, server, timeout, disconnected)
 * with full-jitter backoff, never sooner than a Retry-After. Other kinds are the
 * caller's to fix and fail at once; so does a stream that already produced output,
 * since a second answer would be spliced onto the first.
 */
export function withRetries(model: LanguageModel, options: RetryOptions = {}): LanguageModel {
  const { attempts, afterFailure, succeeded, clock } = retryLoop(model, options);

  return {
    specificationVersion: 'v1',
    provider: model.provider,
    modelId: model.modelId,

    generate: (request) => attempts(() => model.generate(request), request.abortSignal),

    async *stream(request): AsyncGenerator<ModelStreamPart> {
      options.budget?.recordRequest();
      for (let retry = 1; ; retry += 1) {
        const startedAt = clock.now();
        let streamed = false;
        try {
          for await (const part of model.stream(request)) {
            // Recorded before the finish part goes up, so a report attached to it is complete.
            if (part.type === 'finish') succeeded(startedAt);
            else streamed = true;
            yield part;
          }
          return;
        } catch (error) {
          await afterFailure(error, startedAt, retry, streamed, request.abortSignal);
        }
      }
    },
  };
}

/** The same retries around an embedding model: a batch is one call, retried whole. */
export function withEmbeddingRetries(model: EmbeddingModel, options: RetryOptions = {}): EmbeddingModel {
  const { attempts } = retryLoop(model, options);
  return {
    specificationVersion: 'v1',
    provider: model.provider,
    modelId: model.modelId,
    dimensions: model.dimensions,
    embed: (values, callOptions) => attempts(() => model.embed(values, callOptions), callOptions?.abortSignal),
  };
}

/** The attempt-by-attempt policy shared by every kind of model call. */
function retryLoop(model: { provider: string; modelId: string }, options: RetryOptions) {
  const maxRetries = options.maxRetries ?? 2;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 20_000;
  const backoff = { baseDelayMs: options.baseDelayMs ?? 250, maxDelayMs: options.maxDelayMs ?? 8_000 };
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;

  const refusal = (error: unknown, retry: number, streamed: boolean): RetryRefusal | undefined => {
    if (!ModelCallError.isInstance(error) || !error.retryable) return 'not-retryable';
    if (streamed) return 'output-streamed';
    if (retry > maxRetries) return 'attempts-exhausted';
    if ((error.details.retryAfterMs ?? 0) > maxRetryAfterMs) return 'retry-after-too-long';
    // Last, because it spends a token.
    if (options.budget && !options.budget.tryAcquireRetry()) return 'budget-exhausted';
    return undefined;
  };

  /** Records the failed attempt; returns when the next one may start, throws when there is none. */
  const afterFailure = async (error: unknown, startedAt: number, retry: number, streamed: boolean, abortSignal: AbortSignal | undefined): Promise<void> => {
    // The breaker refused the call: no attempt was made, and none will be while it stays open.
    if (CircuitOpenError.isCircuitOpen(error)) throw error;
    const known = ModelCallError.isInstance(error) ? error : undefined;
    const retryAfterMs = known?.details.retryAfterMs;
    const refused = refusal(error, retry, streamed);
    const retryDelayMs = refused === undefined ? retryDelay(retry, retryAfterMs, backoff, random) : undefined;
    options.onAttempt?.({
      startedAt,
      durationMs: clock.now() - startedAt,
      outcome: known?.kind ?? 'server',
      ...(retryAfterMs !== undefined && { retryAfterMs }),
      ...(retryDelayMs !== undefined ? { retryDelayMs } : { retryRefused: refused }),
    });
    if (retryDelayMs === undefined) throw error;
    try {
      await clock.sleep(retryDelayMs, abortSignal);
    } catch (sleepError) {
      throw new ModelCallError('aborted', `${model.provider} ${model.modelId}: aborted while waiting to retry`, {
        provider: model.provider,
        modelId: model.modelId,
        cause: sleepError,
      });
    }
  };

  const succeeded = (startedAt: number): void => options.onAttempt?.({ startedAt, durationMs: clock.now() - startedAt, outcome: 'ok' });

  /** One whole call, attempted until it succeeds or may not be retried. */
  const attempts = async <Result>(call: () => Promise<Result>, abortSignal: AbortSignal | undefined): Promise<Result> => {
    options.budget?.recordRequest();
    for (let retry = 1; ; retry += 1) {
      const startedAt = clock.now();
      try {
        const result = await call();
        succeeded(startedAt);
        return result;
      } catch (error) {
        await afterFailure(error, startedAt, retry, false, abortSignal);
      }
    }
  };

  return { attempts, afterFailure, succeeded, clock };
}
