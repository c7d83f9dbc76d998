import { ModelCallError } from '../../model-call-error.js';

/**
 * One call's abort signal: it fires when the caller aborts or when the upstream has been
 * silent for `timeoutMs`. The SDK's own timeout stops at the response headers, so a
 * stream that goes quiet after them would otherwise hang until the caller gives up.
 * The clock is paused while the consumer holds a streamed part: a slow consumer is not a
 * silent upstream.
 */
export interface CallDeadline {
  signal: AbortSignal;
  /** True once the silence limit was hit (as opposed to the caller aborting). */
  readonly timedOut: boolean;
  /** Starts the silence clock again from zero. */
  restart(): void;
  /** Stops the clock until the next `restart`. */
  pause(): void;
  dispose(): void;
}

export function startCallDeadline(timeoutMs: number, callerSignal: AbortSignal | undefined): CallDeadline {
  const controller = new AbortController();
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const onCallerAbort = (): void => controller.abort(callerSignal?.reason);
  if (callerSignal?.aborted) onCallerAbort();
  else callerSignal?.addEventListener('abort', onCallerAbort, { once: true });

  const pause = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  const restart = (): void => {
    pause();
    if (controller.signal.aborted) return;
    timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error(`no response from the upstream within ${timeoutMs} ms`));
    }, timeoutMs);
  };
  restart();

  return {
    signal: controller.signal,
    get timedOut() {
      return timedOut;
    },
    restart,
    pause,
    dispose() {
      pause();
      callerSignal?.removeEventListener('abort', onCallerAbort);
    },
  };
}

/**
 * Our deadline and the caller's abort both reach the SDK as an abort; this says which
 * one it was. Undefined when neither happened and the failure is the upstream's.
 */
export function interruption(
  deadline: CallDeadline,
  callerSignal: AbortSignal | undefined,
  context: { provider: string; modelId: string; timeoutMs: number; partialText?: string; cause?: unknown },
): ModelCallError | undefined {
  const { provider, modelId, timeoutMs, partialText, cause } = context;
  const details = { provider, modelId, cause, ...(partialText && { partialText }) };
  if (deadline.timedOut) return new ModelCallError('timeout', `${provider} ${modelId}: the upstream was silent for ${timeoutMs} ms`, details);
  if (callerSignal?.aborted) return new ModelCallError('aborted', `${provider} ${modelId}: aborted by the caller`, details);
  return undefined;
}
