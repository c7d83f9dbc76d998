import { circuitBreaker, CircuitState, ConsecutiveBreaker, handleWhen, isBrokenCircuitError, SamplingBreaker, type CircuitBreakerPolicy, type IBreaker } from 'cockatiel';
import { ModelCallError, type ModelCallErrorKind } from '../model-call-error.js';
import type { EmbeddingModel, LanguageModel, ModelStreamPart } from '../model-spec.js';

export type BreakerState = 'closed' | 'open' | 'half-open' | 'isolated';

export type BreakerRule =
  /** Opens after this many counted failures in a row. */
  | { consecutiveFailures: number }
  /** Opens when more than `failureRate` (0–1) of the calls in `durationMs` failed, once there are `minimumRps` calls a second. */
  | { failureRate: number; durationMs: number; minimumRps?: number };

export interface CircuitBreakerOptions {
  /** The deployment's name, in errors and state reports; defaults to the model id. */
  name?: string;
  /** How long an open breaker refuses calls before one probe is let through; defaults to 30 s. */
  halfOpenAfterMs?: number;
  /** Defaults to five consecutive failures. */
  rule?: BreakerRule;
  /** Failures that count against the deployment. Defaults to the upstream's: server, timeout, disconnected. */
  countedKinds?: readonly ModelCallErrorKind[];
  /** Every transition, for events and metrics. */
  onStateChange?: (state: BreakerState, name: string) => void;
}

/** What a breaker adds to the model it guards. */
export interface Guarded {
  readonly circuit: CircuitBreakerPolicy;
  breakerState(): BreakerState;
}

export type GuardedModel = LanguageModel & Guarded;
export type GuardedEmbeddingModel = EmbeddingModel & Guarded;

/** Caller errors (bad requests, aborts) and throttling say nothing about the deployment's health. */
const DEFAULT_COUNTED: readonly ModelCallErrorKind[] = ['server', 'timeout', 'disconnected'];
const STATES: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'isolated',
};

/**
 * A call's slot in the breaker, held until its outcome is known. Each outcome resolves
 * once the breaker has counted it, so the next call sees the state this one left.
 */
interface Permit {
  succeed(): Promise<void>;
  fail(error: unknown): Promise<void>;
}

/** Raised into the breaker for a stream its consumer left early: neither a success nor a counted failure. */
class AbandonedCall extends Error {}

/** One deployment's breaker: a call enters it first and reports its outcome through the permit. */
function createBreakerGate(model: { provider: string; modelId: string }, options: CircuitBreakerOptions) {
  const name = options.name ?? model.modelId;
  const counted = new Set(options.countedKinds ?? DEFAULT_COUNTED);
  const rule = options.rule ?? { consecutiveFailures: 5 };
  const breaker: IBreaker =
    'consecutiveFailures' in rule
      ? new ConsecutiveBreaker(rule.consecutiveFailures)
      : new SamplingBreaker({ threshold: rule.failureRate, duration: rule.durationMs, ...(rule.minimumRps !== undefined && { minimumRps: rule.minimumRps }) });
  const policy = circuitBreaker(
    handleWhen((error) => ModelCallError.isInstance(error) && counted.has(error.kind)),
    { halfOpenAfter: options.halfOpenAfterMs ?? 30_000, breaker },
  );
  policy.onStateChange((state) => options.onStateChange?.(STATES[state], name));
  const context = { provider: model.provider, modelId: model.modelId };

  const enter = (): Promise<Permit> => {
    // cockatiel queues calls behind a half-open probe; a probe may be a minutes-long stream, so others go elsewhere.
    if (policy.state === CircuitState.HalfOpen) return Promise.reject(new CircuitOpenError(name, 'half-open', context));
    return new Promise((resolve, reject) => {
      const counted: Promise<void> = policy
        .execute(
          () =>
            new Promise<void>((succeed, fail) => {
              resolve({
                succeed: () => (succeed(), counted),
                fail: (error) => (fail(error instanceof Error ? error : new Error('a non-error was thrown', { cause: error })), counted),
              });
            }),
        )
        .catch((error: unknown) => {
          if (isBrokenCircuitError(error)) reject(new CircuitOpenError(name, 'open', context));
          // Any other rejection is the call's own failure, already thrown to its caller.
        });
    });
  };

  /** A whole call inside the breaker. */
  const run = async <Result>(call: () => Promise<Result>): Promise<Result> => {
    const permit = await enter();
    try {
      const result = await call();
      await permit.succeed();
      return result;
    } catch (error) {
      await permit.fail(error);
      throw error;
    }
  };

  const guarded: Guarded = { circuit: policy, breakerState: () => STATES[policy.state] };
  return { enter, run, guarded };
}

/**
 * A cockatiel circuit breaker around one deployment. A streamed call holds its slot in
 * the breaker until the stream ends, so a stream that breaks halfway counts as a failure.
 */
export function withCircuitBreaker(model: LanguageModel, options: CircuitBreakerOptions = {}): GuardedModel {
  const { enter, run, guarded } = createBreakerGate(model, options);
  return {
    specificationVersion: 'v1',
    provider: model.provider,
    modelId: model.modelId,
    ...guarded,
    generate: (request) => run(() => model.generate(request)),
    async *stream(request): AsyncGenerator<ModelStreamPart> {
      const permit = await enter();
      let settled = false;
      try {
        for await (const part of model.stream(request)) {
          if (part.type === 'finish') {
            settled = true;
            await permit.succeed();
          }
          yield part;
        }
      } catch (error) {
        if (!settled) {
          settled = true;
          await permit.fail(error);
        }
        throw error;
      } finally {
        if (!settled) void permit.fail(new AbandonedCall('the consumer stopped reading the stream'));
      }
    },
  };
}

/** The same breaker around an embedding deployment. */
export function withEmbeddingCircuitBreaker(model: EmbeddingModel, options: CircuitBreakerOptions = {}): GuardedEmbeddingModel {
  const { run, guarded } = createBreakerGate(model, options);
  return {
    specificationVersion: 'v1',
    provider: model.provider,
    modelId: model.modelId,
    dimensions: model.dimensions,
    ...guarded,
    embed: (values, callOptions) => run(() => model.embed(values, callOptions)),
  };
}

/**
 * A deployment's breaker refused the call: it never reached the provider. A `server`
 * kind, so callers that know only ModelCallError treat it as an upstream outage; the
 * gateway recognises it and moves to the next deployment without retrying this one.
 */
export class CircuitOpenError extends ModelCallError {
  private readonly tesseraCircuitOpen = true;

  constructor(
    readonly deployment: string,
    readonly circuit: 'open' | 'half-open',
    details: { provider?: string; modelId?: string } = {},
  ) {
    super('server', `${deployment}: not called, its circuit breaker is ${circuit === 'open' ? 'open' : 'probing with another call'}`, details);
    this.name = 'CircuitOpenError';
  }

  static isCircuitOpen(error: unknown): error is CircuitOpenError {
    return ModelCallError.isInstance(error) && (error as { tesseraCircuitOpen?: unknown }).tesseraCircuitOpen === true;
  }
}
