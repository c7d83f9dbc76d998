import { describe, expect, it } from 'vitest';
import { ApiError } from '../errors/api-error.js';
import type { Principal } from '../auth/principal.js';
import { createInProcessRateLimitCounter } from './in-process-rate-limit-counter.js';
import { createRateLimits, type RateLimitSettings } from './rate-limits.js';

const alice: Principal = { tenantId: 'tenant-a', keyId: 'key-1', scopes: [] };
const alicesOtherKey: Principal = { tenantId: 'tenant-a', keyId: 'key-2', scopes: [] };
const bob: Principal = { tenantId: 'tenant-b', keyId: 'key-3', scopes: [] };

const none: RateLimitSettings = { keyRequestsPerMinute: 0, tenantRequestsPerMinute: 0, keyTokensPerMinute: 0, tenantTokensPerMinute: 0 };
const limitsOf = (settings: Partial<RateLimitSettings>) => createRateLimits(createInProcessRateLimitCounter(), { ...none, ...settings });

async function refusal(run: Promise<unknown>): Promise<ApiError> {
  const error = await run.then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

describe('rate limits', () => {
  it('count nothing and send no headers when no limit is set', async () => {
    const limits = limitsOf({});
    expect(limits.limits('requests')).toBe(false);
    expect(limits.limits('tokens')).toBe(false);
    for (let attempt = 0; attempt < 100; attempt += 1) expect(await limits.admit(alice, { requests: 1 })).toEqual({});
  });

  it('refuse the request past a key limit with 429, the key limit code and when to retry', async () => {
    const limits = limitsOf({ keyRequestsPerMinute: 2 });
    expect(await limits.admit(alice, { requests: 1 })).toMatchObject({ 'x-ratelimit-limit-requests': '2', 'x-ratelimit-remaining-requests': '1', 'x-ratelimit-limit': '2', 'x-ratelimit-remaining': '1', 'x-ratelimit-reset': '60' });
    await limits.admit(alice, { requests: 1 });
    const error = await refusal(limits.admit(alice, { requests: 1 }));
    expect(error.status).toBe(429);
    expect(error.code).toBe('TESSERA_KEY_REQUEST_LIMIT_EXCEEDED');
    expect(error.message).toMatch(/API key may use 2 requests per minute; retry in \d+ s/);
    expect(error.headers).toMatchObject({ 'retry-after': '60', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset-requests': '60s' });
    expect(Number(error.headers['retry-after-ms'])).toBeGreaterThan(59_000);
  });

  it('share a tenant limit across its keys but not with other tenants', async () => {
    const limits = limitsOf({ keyRequestsPerMinute: 10, tenantRequestsPerMinute: 3 });
    await limits.admit(alice, { requests: 1 });
    await limits.admit(alice, { requests: 1 });
    await limits.admit(alicesOtherKey, { requests: 1 });
    const error = await refusal(limits.admit(alicesOtherKey, { requests: 1 }));
    expect(error.code).toBe('TESSERA_TENANT_REQUEST_LIMIT_EXCEEDED');
    expect(error.message).toMatch(/tenant's keys together may use 3 requests per minute/);
    expect(await limits.admit(bob, { requests: 1 })).toMatchObject({ 'x-ratelimit-remaining-requests': '2' });
  });

  it('report whichever of the key and tenant limits is closer to running out', async () => {
    const limits = limitsOf({ keyRequestsPerMinute: 5, tenantRequestsPerMinute: 100 });
    expect(await limits.admit(alice, { requests: 1 })).toMatchObject({ 'x-ratelimit-limit-requests': '5', 'x-ratelimit-remaining-requests': '4' });
    const tenantBound = limitsOf({ keyRequestsPerMinute: 100, tenantRequestsPerMinute: 5 });
    expect(await tenantBound.admit(alice, { requests: 1 })).toMatchObject({ 'x-ratelimit-limit-requests': '5', 'x-ratelimit-remaining-requests': '4' });
  });

  it('count tokens apart from requests, with token headers and token codes', async () => {
    const limits = limitsOf({ keyRequestsPerMinute: 100, keyTokensPerMinute: 1_000, tenantTokensPerMinute: 5_000 });
    expect(await limits.admit(alice, { tokens: 600 })).toEqual({ 'x-ratelimit-limit-tokens': '1000', 'x-ratelimit-remaining-tokens': '400', 'x-ratelimit-reset-tokens': '60s' });
    const error = await refusal(limits.admit(alice, { tokens: 600 }));
    expect(error.code).toBe('TESSERA_KEY_TOKEN_LIMIT_EXCEEDED');
    expect(error.message).toMatch(/1000 model tokens per minute and this request needs about 600 more than are left/);
    expect(error.headers['retry-after']).toBe('60');
    expect(await limits.admit(alice, { requests: 1 })).toMatchObject({ 'x-ratelimit-remaining-requests': '99' });
    // The refused 600 were not counted: 400 still fit.
    expect(await limits.admit(alice, { tokens: 400 })).toMatchObject({ 'x-ratelimit-remaining-tokens': '0' });
  });

  it('refuse a request larger than a whole minute of tokens without a Retry-After, since waiting would not help', async () => {
    const limits = limitsOf({ tenantTokensPerMinute: 1_000 });
    const error = await refusal(limits.admit(alice, { tokens: 1_001 }));
    expect(error.code).toBe('TESSERA_TENANT_TOKEN_LIMIT_EXCEEDED');
    expect(error.message).toMatch(/needs about 1001 tokens, more than this tenant's keys together may use 1000 model tokens per minute/);
    expect(error.headers).toEqual({});
  });

  it('count a request and its tokens in one step: both or, when either has no room, neither', async () => {
    const limits = limitsOf({ keyRequestsPerMinute: 3, tenantTokensPerMinute: 1_000 });
    expect(await limits.admit(alice, { requests: 1, tokens: 700 })).toEqual({
      'x-ratelimit-limit-requests': '3', 'x-ratelimit-remaining-requests': '2', 'x-ratelimit-reset-requests': '60s',
      'x-ratelimit-limit': '3', 'x-ratelimit-remaining': '2', 'x-ratelimit-reset': '60',
      'x-ratelimit-limit-tokens': '1000', 'x-ratelimit-remaining-tokens': '300', 'x-ratelimit-reset-tokens': '60s',
    });
    const error = await refusal(limits.admit(alice, { requests: 1, tokens: 301 }));
    expect(error.code).toBe('TESSERA_TENANT_TOKEN_LIMIT_EXCEEDED');
    expect(error.headers).toMatchObject({ 'x-ratelimit-remaining-tokens': '300' });
    // The refused request was not counted either.
    expect(await limits.admit(alice, { requests: 1, tokens: 300 })).toMatchObject({ 'x-ratelimit-remaining-requests': '1', 'x-ratelimit-remaining-tokens': '0' });
  });
});
