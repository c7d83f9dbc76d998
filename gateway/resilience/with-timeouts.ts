import { ModelCallError } from '../model-call-error.js';
import type { LanguageModel, ModelRequest, ModelStreamPart } from '../model-spec.js';
import { systemClock, type Clock } from './clock.js';

export interface TimeoutOptions {
  /** From the call to its first streamed part (text or a tool call). */
  firstTokenMs?: number;
  /** Longest silence between two parts once output has started. */
  idleMs?: number;
  /** The whole call, first byte to finish part; the only limit on `generate`. */
  totalMs?: number;
  clock?: Clock;
}

type Limit = 'first-token' | 'idle' | 'total';

/**
 * Time limits on a call. One that expires before any output fails with a `timeout` that
 * retries and fallbacks may act on. One that expires after output was streamed fails
 * the same way but keeps that output as `partialText`: the consumer has already shown it,
 * so the layers above must end the call rather than start another answer.
 */
export function withTimeouts(model: LanguageModel, options: TimeoutOptions): LanguageModel {
  const { firstTokenMs, idleMs, totalMs } = options;
  if (firstTokenMs === undefined && idleMs === undefined && totalMs === undefined) return model;
  const clock = options.clock ?? systemClock;

  const expired = (limit: Limit, milliseconds: number, partialText: string): ModelCallError => {
    const what = { 'first-token': 'no first token within', idle: 'no output for', total: 'not finished within' }[limit];
    return new ModelCallError('timeout', `${model.provider} ${model.modelId}: ${what} ${milliseconds} ms`, {
      provider: model.provider,
      modelId: model.modelId,
      ...(partialText && { partialText }),
    });
  };

  /** The caller's abort still reaches the provider; ours is added to it. */
  const withSignal = (request: ModelRequest, controller: AbortController): ModelRequest => ({
    ...request,
    abortSignal: request.abortSignal ? AbortSignal.any([request.abortSignal, controller.signal]) : controller.signal,
  });

  return {
    specificationVersion: 'v1',
    provider: model.provider,
    modelId: model.modelId,

    async generate(request) {
      const controller = new AbortController();
      const work = model.generate(withSignal(request, controller));
      const outcome = await raceDeadline(work, totalMs, clock);
      if (outcome !== TIMED_OUT) return outcome;
      work.catch(() => undefined);
      controller.abort(new Error('total timeout'));
      throw expired('total', totalMs ?? 0, '');
    },

    async *stream(request): AsyncGenerator<ModelStreamPart> {
      const controller = new AbortController();
      const iterator = model.stream(withSignal(request, controller))[Symbol.asyncIterator]();
      const started = clock.now();
      let text = '';
      let streamed = false;
      let finished = false;
      /** The limit the next part must arrive within: its phase's, or what is left of the total if that is sooner. */
      const nextLimit = (): { limit: Limit; configuredMs: number; waitMs: number } | undefined => {
        const phaseMs = streamed ? idleMs : firstTokenMs;
        const leftMs = totalMs === undefined ? undefined : totalMs - (clock.now() - started);
        if (totalMs !== undefined && leftMs !== undefined && (phaseMs === undefined || leftMs <= phaseMs)) {
          return { limit: 'total', configuredMs: totalMs, waitMs: leftMs };
        }
        return phaseMs === undefined ? undefined : { limit: streamed ? 'idle' : 'first-token', configuredMs: phaseMs, waitMs: phaseMs };
      };
      try {
        for (;;) {
          const limit = nextLimit();
          const next = iterator.next();
          const outcome = await raceDeadline(next, limit?.waitMs, clock);
          if (outcome === TIMED_OUT) {
            next.catch(() => undefined);
            throw expired(limit?.limit ?? 'total', limit?.configuredMs ?? 0, text);
          }
          if (outcome.done) {
            finished = true;
            return;
          }
          const part = outcome.value;
          if (part.type === 'text-delta') text += part.text;
          if (part.type !== 'finish') streamed = true;
          yield part;
        }
      } finally {
        if (!finished) {
          controller.abort(new Error('the call ended early'));
          // Not awaited: a provider stuck in a read would hold this error up until it noticed the abort.
          void iterator.return?.().catch(() => undefined);
        }
      }
    },
  };
}

const TIMED_OUT = Symbol('timed out');

/**
 * The work's value, or TIMED_OUT when `milliseconds` pass first (no limit when undefined).
 * The timer is cancelled either way; the work is not, that is the caller's business.
 */
async function raceDeadline<T>(work: Promise<T>, milliseconds: number | undefined, clock: Clock): Promise<T | typeof TIMED_OUT> {
  if (milliseconds === undefined) return work;
  const cancel = new AbortController();
  // A cancelled timer never settles, so it cannot win a race already decided.
  const timer = clock.sleep(Math.max(0, milliseconds), cancel.signal).then(
    (): typeof TIMED_OUT => TIMED_OUT,
    () => new Promise<never>(() => undefined),
  );
  try {
    return await Promise.race([work, timer]);
  } finally {
    cancel.abort();
  }
}
