import type { RecordedEvent } from '../../domain/events/envelope.js';
import type { ModelCallFailedData } from '../../domain/turn/events/model-call-events.js';
import type { TurnFailedData } from '../../domain/turn/events/turn-ended.js';
import { BudgetExhaustedError } from '../../domain/budget/budget-errors.js';
import { ApiError } from '../errors/api-error.js';

const STATUS_BY_KIND: Record<string, number> = {
  'rate-limited': 429,
  'context-overflow': 400,
  'bad-request': 400,
  'content-filter': 400,
  timeout: 504,
};

/** A failed turn as the HTTP error an OpenAI client expects (the SDK raises the matching typed error). */
export function turnFailureError(events: readonly RecordedEvent[]): ApiError | BudgetExhaustedError {
  const failure = events.at(-1)!.data as TurnFailedData;
  const modelFailure = [...events].reverse().find((event) => event.type === 'ModelCallFailed')?.data as ModelCallFailedData | undefined;
  if (failure.reason === 'deadline-exceeded') return new ApiError(504, 'TESSERA_TURN_DEADLINE_EXCEEDED', failure.message);
  // A concurrent call took the last of a hard budget between the route's check and this call's hold.
  if (failure.reason === 'budget-exceeded' && modelFailure?.budget) return new BudgetExhaustedError(modelFailure.budget);
  if (failure.reason === 'model-call-failed' && modelFailure) {
    return modelFailureError(modelFailure.errorKind, modelFailure.message, 'body.messages', modelFailure.routing?.attempts.at(-1)?.retryAfterMs);
  }
  // The same request would end the same way (too many tool calls, say): SDKs retry a 5xx unless told not to.
  return new ApiError(502, `TESSERA_TURN_${failure.reason.toUpperCase().replaceAll('-', '_')}` as `TESSERA_${string}`, failure.message, undefined, { 'x-should-retry': 'false' });
}

/**
 * A model call that failed after the gateway's retries and fallbacks, as an HTTP error:
 * a refusal of the request names `requestField`, and a rate limit says when to retry
 * (the provider's own wait, when it gave one).
 */
export function modelFailureError(kind: string, message: string, requestField: string, retryAfterMs?: number): ApiError {
  const status = STATUS_BY_KIND[kind] ?? 502;
  const headers: Record<string, string> = status === 429 && retryAfterMs !== undefined ? { 'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1_000))) } : {};
  return new ApiError(status, `TESSERA_MODEL_${kind.toUpperCase().replaceAll('-', '_')}` as `TESSERA_${string}`, message, status === 400 ? requestField : undefined, headers);
}
