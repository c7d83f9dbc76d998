import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { ModelCallError, type ModelCallErrorKind } from '../../model-call-error.js';
import { retryAfterMs } from './retry-after.js';

type UpstreamError = APIError<number | undefined, Headers | undefined>;

export interface ErrorContext {
  provider: string;
  modelId: string;
  /** Text streamed before the failure. */
  partialText?: string;
}

/** OpenAI says `context_length_exceeded`; llama.cpp says `exceed_context_size_error`; vLLM only says it in words. */
const CONTEXT_OVERFLOW_CODES: ReadonlySet<string> = new Set(['context_length_exceeded', 'exceed_context_size_error']);
const CONTEXT_OVERFLOW_MESSAGE = /maximum context length|context (length|window|size)|prompt is too long/i;
/** Azure rejects filtered prompts with a 400 and this code. */
const CONTENT_FILTER_CODES: ReadonlySet<string> = new Set(['content_filter', 'content_policy_violation']);
/** Error codes of a connection that broke while the body was being read (undici, Node). */
const CONNECTION_CODES: ReadonlySet<string> = new Set(['UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ECONNRESET', 'EPIPE', 'ECONNREFUSED']);

/**
 * Turns what the `openai` SDK throws into the gateway's error kinds. A failure that is
 * not the upstream's (a bug here) is returned untouched, so it is not retried as if the
 * network had hiccuped.
 */
export function mapError(error: unknown, context: ErrorContext): unknown {
  if (ModelCallError.isInstance(error)) return error;
  const fail = (kind: ModelCallErrorKind, status?: number, retryAfter?: number): ModelCallError =>
    new ModelCallError(kind, `${context.provider} ${context.modelId}: ${describe(error)}`, {
      ...(status !== undefined && { status }),
      ...(retryAfter !== undefined && { retryAfterMs: retryAfter }),
      ...(context.partialText && { partialText: context.partialText }),
      provider: context.provider,
      modelId: context.modelId,
      cause: error,
    });

  if (error instanceof APIUserAbortError) return fail('aborted');
  if (error instanceof APIConnectionTimeoutError) return fail('timeout');
  if (error instanceof APIConnectionError) return fail('disconnected');
  if (error instanceof APIError) {
    // `instanceof` on the generic class yields `any` type arguments; these are the real ones.
    const apiError = error as UpstreamError;
    const status = apiError.status;
    // An error event inside a stream has no status: the server gave up mid-answer.
    if (status === undefined) return fail('server');
    if (status === 429) return fail('rate-limited', status, retryAfterMs(apiError.headers));
    if (status === 408) return fail('timeout', status);
    if (status === 401 || status === 403) return fail('authentication', status);
    if (status === 409 || status >= 500) return fail('server', status, retryAfterMs(apiError.headers));
    if (isContextOverflow(apiError)) return fail('context-overflow', status);
    if (apiError.code && CONTENT_FILTER_CODES.has(apiError.code)) return fail('content-filter', status);
    return fail('bad-request', status);
  }
  if (isConnectionFailure(error)) return fail('disconnected');
  // Malformed JSON from the upstream.
  if (error instanceof SyntaxError) return fail('server');
  return error;
}

function isContextOverflow(error: UpstreamError): boolean {
  if (error.status !== 400 && error.status !== 413) return false;
  if (error.code && CONTEXT_OVERFLOW_CODES.has(error.code)) return true;
  if (error.type && CONTEXT_OVERFLOW_CODES.has(error.type)) return true;
  return CONTEXT_OVERFLOW_MESSAGE.test(error.message);
}

/** A socket that closed under a body being read: undici's `TypeError: terminated` and its causes. */
function isConnectionFailure(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
    if (current instanceof TypeError && current.message === 'terminated') return true;
  }
  return false;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
