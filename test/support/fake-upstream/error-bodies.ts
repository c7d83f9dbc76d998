/**
 * Error bodies shaped as OpenAI sends them, so the real SDK builds its real error
 * classes (`RateLimitError`, `InternalServerError`, ...) from them.
 */
export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export function errorBody(message: string, type: string, code: string | null = null, param: string | null = null): OpenAiErrorBody {
  return { error: { message, type, param, code } };
}

export function statusErrorBody(status: number): OpenAiErrorBody {
  if (status === 429) {
    return errorBody('Rate limit reached for requests (fake upstream).', 'requests', 'rate_limit_exceeded');
  }
  if (status === 401) return errorBody('Incorrect API key provided (fake upstream).', 'invalid_request_error', 'invalid_api_key');
  if (status >= 500) return errorBody('The server had an error while processing your request (fake upstream).', 'server_error');
  return errorBody(`Fake upstream failed the request with status ${status}.`, 'invalid_request_error');
}

export function contextOverflowBody(contextWindow: number, promptTokens: number): OpenAiErrorBody {
  return errorBody(
    `This model's maximum context length is ${contextWindow} tokens. However, your messages resulted in ${promptTokens} tokens. Please reduce the length of the messages.`,
    'invalid_request_error',
    'context_length_exceeded',
    'messages',
  );
}

/** Headers a failure carries; 429s tell the client when to come back. */
export function errorHeaders(scenario: { retryAfter?: string; retryAfterMs?: number }): Record<string, string> {
  const headers: Record<string, string> = {};
  if (scenario.retryAfter !== undefined) headers['retry-after'] = scenario.retryAfter;
  if (scenario.retryAfterMs !== undefined) headers['retry-after-ms'] = String(scenario.retryAfterMs);
  return headers;
}
