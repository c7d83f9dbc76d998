import { ApiError } from '../errors/api-error.js';

export type LimitScope = 'key' | 'tenant';
export type LimitUnit = 'requests' | 'tokens';

/** Stable codes: clients can tell which limit refused them without reading the detail. */
const CODES = {
  'key-requests': 'TESSERA_KEY_REQUEST_LIMIT_EXCEEDED',
  'tenant-requests': 'TESSERA_TENANT_REQUEST_LIMIT_EXCEEDED',
  'key-tokens': 'TESSERA_KEY_TOKEN_LIMIT_EXCEEDED',
  'tenant-tokens': 'TESSERA_TENANT_TOKEN_LIMIT_EXCEEDED',
} as const satisfies Record<`${LimitScope}-${LimitUnit}`, `TESSERA_${string}`>;

const WHO: Record<LimitScope, string> = { key: 'this API key', tenant: "this tenant's keys together" };

/** 429 problem+json naming the limit; the headers say when to retry. */
export function rateLimitExceeded(
  limit: { scope: LimitScope; unit: LimitUnit; limit: number },
  amount: number,
  retryInMs: number | undefined,
  headers: Record<string, string>,
): ApiError {
  const allowance = `${WHO[limit.scope]} may use ${limit.limit} ${limit.unit === 'requests' ? 'requests' : 'model tokens'} per minute`;
  let detail: string;
  if (retryInMs === undefined) {
    detail = `this request needs about ${amount} tokens, more than ${allowance}; ask for fewer output tokens or send a shorter prompt`;
  } else {
    const wait = `retry in ${Math.max(1, Math.ceil(retryInMs / 1_000))} s`;
    detail = limit.unit === 'requests' ? `${allowance}; ${wait}` : `${allowance} and this request needs about ${amount} more than are left; ${wait}`;
  }
  return new ApiError(429, CODES[`${limit.scope}-${limit.unit}`], detail, undefined, headers);
}
