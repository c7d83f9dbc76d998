import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseApiKey } from '../../commands/api-key-secret.js';
import { issueApiKey } from '../../commands/tenants.js';
import { apiKeysProjection } from '../../projections/api-keys/api-keys.projection.js';
import { catchUpProjection } from '../../projections/index.js';
import { testServices } from '../support/services.js';
import { startTessera, type RunningTessera } from '../support/tessera-harness.js';
import { apiClient, expectProblem, poll } from './tessera-api.js';
import { deleteRedisKeys } from '../support/redis-keys.js';

const KEY_TOKENS = 1_000;
const TENANT_TOKENS = 1_500;
/** Asked per completion: two fit in a key's minute (with their short prompts), a third does not. */
const MAX_TOKENS = 400;

const question = (text: string) => [{ role: 'user' as const, content: text }];

describe('model tokens per minute (services profile, counters in Redis)', () => {
  const redisKeyPrefix = `test:${randomUUID()}:`;
  let tessera: RunningTessera;
  let client: OpenAI;

  beforeAll(async () => {
    tessera = await startTessera('services', {
      TESSERA_REDIS_URL: testServices.redisUrl,
      TESSERA_REDIS_KEY_PREFIX: redisKeyPrefix,
      TESSERA_RATE_LIMIT_KEY_TOKENS_PER_MINUTE: String(KEY_TOKENS),
      TESSERA_RATE_LIMIT_TENANT_TOKENS_PER_MINUTE: String(TENANT_TOKENS),
      TESSERA_TURN_MAX_OUTPUT_TOKENS: '2048',
    });
    client = new OpenAI({ baseURL: `${tessera.url}/v1`, apiKey: tessera.tenant.key, maxRetries: 0 });
  }, 120_000);

  afterAll(async () => {
    await tessera?.close();
    await deleteRedisKeys(redisKeyPrefix);
  });

  it('counts the prompt and the output asked for, refusing the completion that would pass the key limit as the OpenAI SDK expects', async () => {
    const { response } = await client.chat.completions.create({ model: 'chat/default', messages: question('What is the refund window?'), max_tokens: MAX_TOKENS }).withResponse();
    const remaining = Number(response.headers.get('x-ratelimit-remaining-tokens'));
    expect(remaining).toBeLessThan(KEY_TOKENS - MAX_TOKENS);
    expect(remaining).toBeGreaterThan(KEY_TOKENS - MAX_TOKENS - 50);
    await client.chat.completions.create({ model: 'chat/default', messages: question('And the shipping time?'), max_tokens: MAX_TOKENS });

    const refused = await client.chat.completions
      .create({ model: 'chat/default', messages: question('One more?'), max_tokens: MAX_TOKENS })
      .then(() => undefined, (error: unknown) => error);
    expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
    const error = refused as InstanceType<typeof OpenAI.RateLimitError>;
    expect(error.status).toBe(429);
    expect(error.code).toBe('rate_limit_exceeded');
    expect(Number(error.headers?.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(error.headers?.get('x-ratelimit-limit-tokens')).toBe(String(KEY_TOKENS));

    // Requests that call no model spend no tokens and are not refused for them.
    expect((await apiClient(tessera).request('GET', '/v1/models')).status).toBe(200);
  });

  it('refuses a completion that asks for more than a whole minute of tokens, without inviting a retry', async () => {
    const response = await apiClient(tessera, tessera.otherTenant.key).request('POST', '/v1/chat/completions', {
      body: { model: 'chat/default', messages: question('Write a long essay.') },
    });
    const problem = expectProblem(response, 429, 'TESSERA_KEY_TOKEN_LIMIT_EXCEEDED');
    expect(problem.detail).toMatch(/needs about \d+ tokens, more than this API key may use 1000 model tokens per minute/);
    expect(response.headers.get('retry-after')).toBeNull();
  });

  it('counts turns too, and the keys of one tenant against their shared limit', async () => {
    const api = apiClient(tessera, tessera.otherTenant.key);
    const conversationId = await api.startConversation();
    const first = await api.request('POST', `/v1/conversations/${conversationId}/turns`, { body: { message: 'Hello', maxOutputTokens: 600 } });
    expect(first.status).toBe(202);
    expect(Number(first.headers.get('x-ratelimit-remaining-tokens'))).toBeLessThan(KEY_TOKENS - 600);
    const second = await api.request('POST', `/v1/conversations/${conversationId}/turns`, { body: { message: 'Hello again', maxOutputTokens: 600 } });
    expectProblem(second, 429, 'TESSERA_KEY_TOKEN_LIMIT_EXCEEDED');

    // Another key of the same tenant has its own key budget but shares what is left of the tenant's.
    const { key } = await issueApiKey(tessera.backend.store, { tenantId: tessera.otherTenant.id, name: 'second', actor: 'test' });
    await catchUpProjection(tessera.backend.readModels, tessera.backend.store, apiKeysProjection);
    const secondKey = apiClient(tessera, key);
    // The harness's own projection runner may be the one applying the new key; a miss is cached for a moment.
    await poll(async () => (await secondKey.request('GET', '/v1/models')).status, (status) => status === 200, 10_000, 'the second key to authenticate');
    expect((await secondKey.request('POST', `/v1/conversations/${conversationId}/turns`, { body: { message: 'Hi', maxOutputTokens: 600 } })).status).toBe(202);
    const overTenant = await secondKey.request('POST', `/v1/conversations/${conversationId}/turns`, { body: { message: 'Hi', maxOutputTokens: 300 } });
    expectProblem(overTenant, 429, 'TESSERA_TENANT_TOKEN_LIMIT_EXCEEDED');
    expect(overTenant.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  it('keeps the counters in Redis under the configured prefix, where other API processes find them', async () => {
    const redis = new Redis(testServices.redisUrl);
    try {
      const keys = await redis.keys(`${redisKeyPrefix}rate-limit:{${tessera.tenant.id}}:*`);
      expect(keys.sort()).toEqual([
        `${redisKeyPrefix}rate-limit:{${tessera.tenant.id}}:key:${parseApiKey(tessera.tenant.key)!.keyId}:tokens`,
        `${redisKeyPrefix}rate-limit:{${tessera.tenant.id}}:tenant:tokens`,
      ].sort());
    } finally {
      await redis.quit();
    }
  });
});

describe('rate limits in the embedded profile (counters in this process)', () => {
  let tessera: RunningTessera;

  beforeAll(async () => {
    tessera = await startTessera('embedded', {
      TESSERA_RATE_LIMIT_KEY_REQUESTS_PER_MINUTE: '5',
      TESSERA_RATE_LIMIT_KEY_TOKENS_PER_MINUTE: String(KEY_TOKENS),
    });
  });
  afterAll(async () => {
    await tessera?.close();
  });

  it('limits requests per key with 429, Retry-After and the rate-limit headers', async () => {
    const api = apiClient(tessera);
    const statuses: number[] = [];
    const remaining: (string | null)[] = [];
    let last: Awaited<ReturnType<typeof api.request>> | undefined;
    for (let attempt = 0; attempt < 6; attempt += 1) {
      last = await api.request('GET', '/v1/models');
      statuses.push(last.status);
      remaining.push(last.headers.get('x-ratelimit-remaining'));
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    expect(remaining).toEqual(['4', '3', '2', '1', '0', '0']);
    expectProblem(last!, 429, 'TESSERA_KEY_REQUEST_LIMIT_EXCEEDED');
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('counts the inputs of embeddings as model tokens', async () => {
    const { key } = await issueApiKey(tessera.backend.store, { tenantId: tessera.tenant.id, name: 'embedder', actor: 'test' });
    await catchUpProjection(tessera.backend.readModels, tessera.backend.store, apiKeysProjection);
    const api = apiClient(tessera, key);
    await poll(async () => (await api.request('GET', '/v1/models')).status, (status) => status === 200, 10_000, 'the new key to authenticate');
    const small = await api.request('POST', '/v1/embeddings', { body: { model: 'embed/default', input: ['refund window', 'return policy'] } });
    expect(small.status).toBe(200);
    const remaining = Number(small.headers.get('x-ratelimit-remaining-tokens'));
    expect(remaining).toBeLessThan(KEY_TOKENS - 2);
    expect(remaining).toBeGreaterThan(KEY_TOKENS - 20);
    const large = await api.request('POST', '/v1/embeddings', { body: { model: 'embed/default', input: ['refund '.repeat(1_200)] } });
    expectProblem(large, 429, 'TESSERA_KEY_TOKEN_LIMIT_EXCEEDED');
  });

  it('limits model tokens per key on the model routes', async () => {
    const client = new OpenAI({ baseURL: `${tessera.url}/v1`, apiKey: tessera.otherTenant.key, maxRetries: 0 });
    await client.chat.completions.create({ model: 'chat/default', messages: question('What is the refund window?'), max_tokens: MAX_TOKENS });
    await client.chat.completions.create({ model: 'chat/default', messages: question('And shipping?'), max_tokens: MAX_TOKENS });
    const refused = await client.chat.completions
      .create({ model: 'chat/default', messages: question('One more?'), max_tokens: MAX_TOKENS })
      .then(() => undefined, (error: unknown) => error);
    expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
    expect((refused as InstanceType<typeof OpenAI.RateLimitError>).code).toBe('rate_limit_exceeded');
  });
});

describe('requests and tokens of a model route counted together (embedded profile)', () => {
  let tessera: RunningTessera;

  beforeAll(async () => {
    tessera = await startTessera('embedded', {
      TESSERA_RATE_LIMIT_KEY_REQUESTS_PER_MINUTE: '3',
      TESSERA_RATE_LIMIT_KEY_TOKENS_PER_MINUTE: '100000',
    });
  });
  afterAll(async () => {
    await tessera?.close();
  });

  it('counts the request of a completion with its tokens, and one refused for its body all the same', async () => {
    const api = apiClient(tessera);
    const completion = (body: Record<string, unknown>) => api.request('POST', '/v1/chat/completions', { body });
    const first = await completion({ model: 'chat/default', messages: question('What is the refund window?') });
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-remaining-requests')).toBe('2');
    expect(Number(first.headers.get('x-ratelimit-remaining-tokens'))).toBeLessThan(100_000);

    expectProblem(await completion({ model: 'chat/default', messages: 'not a list' }), 400, 'TESSERA_INVALID_REQUEST');
    const third = await completion({ model: 'chat/default', messages: question('And shipping?') });
    expect(third.status).toBe(200);
    expect(third.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expectProblem(await completion({ model: 'chat/default', messages: question('One more?') }), 429, 'TESSERA_KEY_REQUEST_LIMIT_EXCEEDED');
  });
});
