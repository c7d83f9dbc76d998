/** A limit as it stands after (or instead of) this request. */
export interface LimitStanding {
  limit: number;
  remaining: number;
  resetInMs: number;
}

const seconds = (milliseconds: number): number => Math.max(1, Math.ceil(milliseconds / 1_000));

/**
 * OpenAI's per-unit headers (`x-ratelimit-limit-requests`, `…-tokens`), which its
 * clients read, plus the unsuffixed `x-ratelimit-*` trio @fastify/rate-limit and most
 * proxies use, for requests. Resets are whole seconds, rounded up.
 */
export function rateLimitHeaders(unit: 'requests' | 'tokens', standing: LimitStanding): Record<string, string> {
  const reset = seconds(standing.resetInMs);
  const headers: Record<string, string> = {
    [`x-ratelimit-limit-${unit}`]: String(standing.limit),
    [`x-ratelimit-remaining-${unit}`]: String(standing.remaining),
    [`x-ratelimit-reset-${unit}`]: `${reset}s`,
  };
  if (unit === 'requests') {
    headers['x-ratelimit-limit'] = String(standing.limit);
    headers['x-ratelimit-remaining'] = String(standing.remaining);
    headers['x-ratelimit-reset'] = String(reset);
  }
  return headers;
}

/** Retry-After in seconds for every client, and in milliseconds for the OpenAI SDKs, which prefer it. */
export function retryAfterHeaders(resetInMs: number): Record<string, string> {
  return { 'retry-after': String(seconds(resetInMs)), 'retry-after-ms': String(Math.max(1, Math.ceil(resetInMs))) };
}
