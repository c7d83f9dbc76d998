import { circuitBreaker, CircuitState, ConsecutiveBreaker, handleWhen, isBrokenCircuitError, type CircuitBreakerPolicy, type IBreaker } from 'cockatiel';
import { FailureRateBreaker, type FailureRateRule } from './failure-rate-breaker.js';
import { ModelCallError, type ModelCallErrorKind } from '../model-call-error.js';
import type { EmbeddingModel, LanguageModel, ModelStreamPart } from '../model-spec.js';

export type BreakerState = 'closed' | 'open' | 'half-open' | 'isolated';
export type { FailureRateRule };

export type BreakerRule =
  /** Opens after this many counted failures in a row. */
  | { consecutiveFailures: number }
  | FailureRateRule;

/** A deployment that fails more than half its calls over 30 s opens; five calls are enough to judge, so a dead one opens at its fifth failure. */
export const DEFAULT_BREAKER_RULE: FailureRateRule = { failureRate: 0.5, windowMs: 30_000, minimumCalls: 5 };
export const DEFAULT_HALF_OPEN_AFTER_MS = 30_000;

export interface CircuitBreakerOptions {
  /** The deployment's name, in errors and state reports; defaults to the model id. */
  name?: string;
  /** How long an open breaker refuses calls before one probe is let through; defaults to `DEFAULT_HALF_OPEN_AFTER_MS`. */
  halfOpenAfterMs?: number;
  /** Defaults to `DEFAULT_BREAKER_RULE`. */
  rule?: BreakerRule;
  /** Failures that count against the deployment. Defaults to the upstream's: server, timeout, disconnected. */
  countedKinds?: readonly ModelCallErrorKind[];
  /** Every transition, for events and metrics. */
  onStateChange?: (state: BreakerState, name: string, transition: BreakerTransition) => void;
}

/** What a new state comes with: the state it left and, when the breaker opens, the failure that opened it. */
export interface BreakerTransition {
  from: BreakerState;
  cause?: { kind: ModelCallErrorKind; message: string };
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

function breakerFor(rule: BreakerRule): IBreaker {
  return 'consecutiveFailures' in rule ? new ConsecutiveBreaker(rule.consecutiveFailures) : new FailureRateBreaker(rule);
}

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
  const policy = circuitBreaker(
    handleWhen((error) => ModelCallError.isInstance(error) && counted.has(error.kind)),
    { halfOpenAfter: options.halfOpenAfterMs ?? DEFAULT_HALF_OPEN_AFTER_MS, breaker: breakerFor(options.rule ?? DEFAULT_BREAKER_RULE) },
  );
  let current: BreakerState = 'closed';
  // cockatiel reports why it broke just before it reports the new state.
  let tripping: BreakerTransition['cause'];
  policy.onBreak((reason) => {
    tripping = 'error' in reason && ModelCallError.isInstance(reason.error) ? { kind: reason.error.kind, message: reason.error.message } : undefined;
  });
  policy.onStateChange((circuitState) => {
    const state = STATES[circuitState];
    const transition: BreakerTransition = { from: current, ...(state === 'open' && tripping && { cause: tripping }) };
    current = state;
    tripping = undefined;
    options.onStateChange?.(state, name, transition);
  });
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
