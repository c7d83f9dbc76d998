import { createHash } from 'node:crypto';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmbeddingCallCompletedData, EmbeddingCallFailedData } from '../../domain/embedding/embedding-events.js';
import { streamId } from '../../domain/shared/stream-id.js';
import { startFakeUpstream, type FakeUpstream } from '../support/fake-upstream/index.js';
import { writeGatewayFile } from '../support/gateway-file.js';
import { startTessera, type RunningTessera } from '../support/tessera-harness.js';
import { apiClient, expectProblem, poll, type ApiClient } from './tessera-api.js';

const EMBED_PRICES = { inputPerMillion: 20_000, cachedInputPerMillion: 0, outputPerMillion: 0 };
const CHAT_PRICES = { inputPerMillion: 1, cachedInputPerMillion: 1, outputPerMillion: 1 };
const CALL_LEASE_MS = 2_000;

interface UsageLine {
  model: string;
  feature: string | null;
  calls: number;
  inputTokens: number;
  outputTokens: number;
  costMicros: number;
}

/** Embeddings calls are model calls like any other: recorded, routed, priced in the ledger and held against budgets. */
describe.each(['embedded', 'services'] as const)('embeddings calls through the gateway (%s profile)', (profile) => {
  let upstream: FakeUpstream;
  let tessera: RunningTessera;
  let api: ApiClient;
  let client: OpenAI;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    const deployment = (name: string, model: string, prices: typeof EMBED_PRICES, headers?: Record<string, string>) => ({
      name,
      provider: 'openai-compatible' as const,
      baseUrl: upstream.url,
      apiKey: 'k',
      model,
      contextWindow: 8_191,
      prices,
      ...(headers && { headers }),
    });
    const file = writeGatewayFile({
      aliases: {
        'chat/default': { deployments: [deployment('chat', 'fake-chat', CHAT_PRICES)] },
        'embed/default': {
          deployments: [deployment('embed-down', 'fake-embed', EMBED_PRICES, { 'x-fake-scenario': 'status=503' }), deployment('embed-up', 'fake-embed', EMBED_PRICES)],
        },
      },
    });
    // A short lease bounds how long an embeddings call may run.
    tessera = await startTessera(profile, { TESSERA_GATEWAY_CONFIG_FILE: file, TESSERA_MODEL_CALL_LEASE_MS: String(CALL_LEASE_MS) });
    api = apiClient(tessera);
    client = new OpenAI({ baseURL: `${tessera.url}/v1`, apiKey: tessera.tenant.key, maxRetries: 0 });
  });
  afterAll(async () => {
    await tessera.close();
    await upstream.close();
  });

  /** The call's outcome, after its start (a call a budget refused has no start: it never went out). */
  const recordOf = async (callId: string, started = true) => {
    const { events } = await tessera.backend.store.readStream(streamId('embedding', callId));
    expect(events.map((event) => event.type).slice(0, -1)).toEqual(started ? ['EmbeddingCallStarted'] : []);
    if (started) expect(events[0]!.data).toMatchObject({ callId, alias: 'embed/default', inputsDigest: (events[1]!.data as { inputsDigest: string }).inputsDigest });
    return events.at(-1)!;
  };
  const embeddingRequestsSince = (mark: number) => upstream.requests.slice(mark).filter((request) => request.path === '/v1/embeddings');

  it('records each call once, with who asked, what it cost, how it was routed and a digest of the inputs', async () => {
    const input = ['refund window', 'return policy for opened items'];
    const { data: answer, response } = await client.embeddings
      .create({ model: 'embed/default', input, user: 'alice' }, { headers: { 'x-tessera-feature': 'search' } })
      .withResponse();
    const callId = response.headers.get('x-tessera-embedding-call-id')!;
    const event = await recordOf(callId);
    expect(event.type).toBe('EmbeddingCallCompleted');
    expect(event.metadata).toMatchObject({ tenantId: tessera.tenant.id, userId: 'alice' });
    const data = event.data as EmbeddingCallCompletedData;
    expect(data).toMatchObject({
      callId,
      alias: 'embed/default',
      feature: 'search',
      source: 'openai-compatible',
      inputs: 2,
      inputsDigest: createHash('sha256').update(JSON.stringify(input)).digest('hex'),
      dimensions: answer.data[0]!.embedding.length,
      usage: { inputTokens: answer.usage.prompt_tokens },
      provider: 'openai-compatible',
      modelId: 'fake-embed',
      costMicros: answer.usage.prompt_tokens * EMBED_PRICES.inputPerMillion,
    });
    expect(answer.usage.prompt_tokens).toBeGreaterThan(0);
    expect(data.routing?.chosen).toBe('embed-up');
    expect(data.routing?.attempts.map((attempt) => `${attempt.deployment}:${attempt.outcome}`)).toEqual(['embed-down:server', 'embed-down:server', 'embed-down:server', 'embed-up:ok']);
  });

  it('answers a batch sent again with the same Idempotency-Key from the first call: one call recorded, one paid for', async () => {
    const mark = upstream.requests.length;
    const key = `embed-${profile}-${Date.now()}`;
    const send = (input: string[]) => client.embeddings.create({ model: 'embed/default', input }, { headers: { 'idempotency-key': key } }).withResponse();
    const first = await send(['once', 'and only once']);
    const again = await send(['once', 'and only once']);
    const callId = first.response.headers.get('x-tessera-embedding-call-id')!;
    expect(again.response.headers.get('x-tessera-embedding-call-id')).toBe(callId);
    expect(again.response.headers.get('idempotent-replayed')).toBe('true');
    expect(again.data).toEqual(first.data);
    expect(embeddingRequestsSince(mark).filter((request) => request.headers['x-fake-scenario'] === undefined)).toHaveLength(1);
    expect((await tessera.backend.store.readStream(streamId('embedding', callId))).events.map((event) => event.type)).toEqual(['EmbeddingCallStarted', 'EmbeddingCallCompleted']);

    const reused = await fetch(`${tessera.url}/v1/embeddings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tessera.tenant.key}`, 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify({ model: 'embed/default', input: ['something else'] }),
    });
    expectProblem({ status: reused.status, headers: reused.headers, body: await reused.json() }, 422, 'TESSERA_IDEMPOTENCY_KEY_REUSED', 'headers.idempotency-key');
    expect(embeddingRequestsSince(mark).filter((request) => request.headers['x-fake-scenario'] === undefined)).toHaveLength(1);
  });

  it('records the down deployment\'s breaker opening, with the failure that opened it and the process', async () => {
    // Earlier tests may have opened it already; if not, these two calls fail the down deployment six times, past the five the breaker waits for.
    await client.embeddings.create({ model: 'embed/default', input: 'trip the breaker' });
    await client.embeddings.create({ model: 'embed/default', input: 'and again' });
    const [opened] = await poll(
      async () => (await tessera.backend.store.readStream(streamId('breaker', 'embed-down'))).events,
      (events) => events.length > 0,
      5_000,
      'the breaker\'s first change',
    );
    expect(opened).toMatchObject({
      type: 'CircuitBreakerStateChanged',
      metadata: { tenantId: 'system' },
      data: { deployment: 'embed-down', from: 'closed', to: 'open', processId: tessera.backend.processId, cause: { errorKind: 'server' } },
    });
    expect((await tessera.backend.store.readStream(streamId('breaker', 'embed-up'))).events).toEqual([]);

    // The same in the process's metrics, beside the attempts each deployment took.
    const metrics = await (await fetch(`${tessera.url}/metrics`)).text();
    expect(metrics).toMatch(/tessera_gateway_breaker_state\{deployment="embed-down"\} 2\b/);
    expect(metrics).toMatch(/tessera_gateway_breaker_state\{deployment="embed-up"\} 0\b/);
    expect(metrics).toMatch(/tessera_gateway_attempts_total\{deployment="embed-down",outcome="server"\} [1-9]/);
    expect(metrics).toMatch(/tessera_gateway_attempts_total\{deployment="embed-up",outcome="ok"\} [1-9]/);
  });

  it('answers inputs embedded before from the cache: only new ones are sent and paid for, in their places, and the sources recorded', async () => {
    const unique = `${profile}-${Date.now()}`;
    const [alpha, beta, gamma] = ['alpha', 'beta', 'gamma'].map((word) => `${word} ${unique}`) as [string, string, string];
    const sentInputs = (mark: number) => embeddingRequestsSince(mark).filter((request) => request.headers['x-fake-scenario'] === undefined).map((request) => (request.body as { input: string[] }).input);
    // Floats, not the SDK's default base64 of float32: the cached vectors must be the very numbers first returned.
    const embed = (input: string[], headers: Record<string, string> = {}) => client.embeddings.create({ model: 'embed/default', input, encoding_format: 'float' }, { headers }).withResponse();

    const first = await embed([alpha, beta]);
    const firstCallId = first.response.headers.get('x-tessera-embedding-call-id')!;
    expect(first.response.headers.get('x-tessera-cached-inputs')).toBe('0');

    let mark = upstream.requests.length;
    const second = await embed([beta, gamma, alpha]);
    expect(sentInputs(mark)).toEqual([[gamma]]);
    expect(second.response.headers.get('x-tessera-cached-inputs')).toBe('2');
    // The cached vectors are the very ones first returned, each in its own place.
    expect(second.data.data.map((item) => item.embedding)).toEqual([first.data.data[1]!.embedding, expect.any(Array), first.data.data[0]!.embedding]);
    const partial = (await recordOf(second.response.headers.get('x-tessera-embedding-call-id')!)).data as EmbeddingCallCompletedData;
    expect(partial).toMatchObject({ inputs: 3, cachedInputs: 2, cachedFromCallIds: [firstCallId], usage: { inputTokens: second.data.usage.prompt_tokens } });
    expect(partial.costMicros).toBe(second.data.usage.prompt_tokens * EMBED_PRICES.inputPerMillion);
    expect(second.data.usage.prompt_tokens).toBeLessThan(first.data.usage.prompt_tokens);

    mark = upstream.requests.length;
    const third = await embed([gamma, alpha]);
    expect(sentInputs(mark)).toEqual([]);
    const whole = await tessera.backend.store.readStream(streamId('embedding', third.response.headers.get('x-tessera-embedding-call-id')!));
    expect(whole.events.map((event) => event.type)).toEqual(['EmbeddingCallStarted', 'EmbeddingCallCompleted']);
    expect(whole.events[0]!.data).toMatchObject({ cachedInputs: 2 });
    expect(whole.events[1]!.data).toMatchObject({ cachedInputs: 2, usage: { inputTokens: 0 }, costMicros: 0, modelId: 'fake-embed' });
    expect(new Set((whole.events[1]!.data as EmbeddingCallCompletedData).cachedFromCallIds)).toEqual(new Set([firstCallId, second.response.headers.get('x-tessera-embedding-call-id')]));
    expect((whole.events[1]!.data as EmbeddingCallCompletedData).routing).toBeUndefined();
    expect(third.data.usage.prompt_tokens).toBe(0);

    // Cache-Control: no-cache sends everything again; another tenant never gets this tenant's vectors.
    mark = upstream.requests.length;
    const fresh = await embed([alpha, beta], { 'cache-control': 'no-cache' });
    expect(fresh.response.headers.get('x-tessera-cached-inputs')).toBe('0');
    const otherClient = new OpenAI({ baseURL: `${tessera.url}/v1`, apiKey: tessera.otherTenant.key, maxRetries: 0 });
    const other = await otherClient.embeddings.create({ model: 'embed/default', input: [alpha] }).withResponse();
    expect(other.response.headers.get('x-tessera-cached-inputs')).toBe('0');
    expect(sentInputs(mark)).toEqual([[alpha, beta], [alpha]]);
  });

  it('takes an empty user, which OpenAI accepts, as no user', async () => {
    const { response } = await client.embeddings.create({ model: 'embed/default', input: 'nobody in particular', user: '' }).withResponse();
    const event = await recordOf(response.headers.get('x-tessera-embedding-call-id')!);
    expect(event.type).toBe('EmbeddingCallCompleted');
    expect(event.metadata.userId).toBeUndefined();
  });

  it('records a failed call with its error and routing, and answers with the call named', async () => {
    const mark = upstream.requests.length;
    const failed = await fetch(`${tessera.url}/v1/embeddings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tessera.tenant.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'embed/default', input: 'refused upstream [[fake: status=400]]' }),
    });
    expectProblem({ status: failed.status, headers: failed.headers, body: await failed.json() }, 400, 'TESSERA_MODEL_BAD_REQUEST', 'body.input');
    const event = await recordOf(failed.headers.get('x-tessera-embedding-call-id')!);
    expect(event.type).toBe('EmbeddingCallFailed');
    const data = event.data as EmbeddingCallFailedData;
    expect(data).toMatchObject({ errorKind: 'bad-request', retryable: false, inputs: 1 });
    // The refusal is the request's own: the first deployment is down, the second refuses it, and nothing is retried.
    expect(data.routing?.attempts.at(-1)).toMatchObject({ deployment: 'embed-up', outcome: 'bad-request', retryRefused: 'not-retryable' });
    expect(embeddingRequestsSince(mark).filter((request) => request.headers['x-fake-scenario'] === undefined)).toHaveLength(1);
  });

  it('answers a rate limit it could not wait out with 429 and the provider\'s Retry-After', async () => {
    const limited = await fetch(`${tessera.url}/v1/embeddings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tessera.tenant.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'embed/default', input: 'slow down [[fake: status=429 retry-after=30]]' }),
    });
    expectProblem({ status: limited.status, headers: limited.headers, body: await limited.json() }, 429, 'TESSERA_MODEL_RATE_LIMITED');
    expect(limited.headers.get('retry-after')).toBe('30');
    const event = await recordOf(limited.headers.get('x-tessera-embedding-call-id')!);
    expect(event.data).toMatchObject({ errorKind: 'rate-limited', retryable: true });
  });

  it('ends a call that runs past the lease in a timeout, and records it', async () => {
    const slow = await fetch(`${tessera.url}/v1/embeddings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tessera.tenant.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'embed/default', input: `too slow [[fake: delay=${CALL_LEASE_MS * 3}]]` }),
    });
    expectProblem({ status: slow.status, headers: slow.headers, body: await slow.json() }, 504, 'TESSERA_MODEL_TIMEOUT');
    const event = await recordOf(slow.headers.get('x-tessera-embedding-call-id')!);
    expect(event.data).toMatchObject({ errorKind: 'timeout' });
    expect((event.data as EmbeddingCallFailedData).latencyMs).toBeLessThan(CALL_LEASE_MS * 2);
  });

  it('puts the calls in the cost ledger, at the input price, by model and feature', async () => {
    const first = await client.embeddings.create({ model: 'embed/default', input: 'ledger line one' }, { headers: { 'x-tessera-feature': 'index' } });
    const second = await client.embeddings.create({ model: 'embed/default', input: ['ledger line two', 'and three'] }, { headers: { 'x-tessera-feature': 'index' } });
    const tokens = first.usage.prompt_tokens + second.usage.prompt_tokens;
    const report = await poll(
      async () => (await api.request<{ data: UsageLine[] }>('GET', '/v1/usage?groupBy=model,feature&feature=index')).body,
      (body) => body.data?.[0]?.calls === 2,
      15_000,
      'the ledger to count both embeddings calls',
    );
    expect(report.data).toEqual([
      expect.objectContaining({ model: 'fake-embed', feature: 'index', calls: 2, inputTokens: tokens, outputTokens: 0, costMicros: tokens * EMBED_PRICES.inputPerMillion }),
    ]);
  });

  it('holds a call against a hard budget: one it cannot cover is refused with 429 insufficient_quota and recorded, and is never sent', async () => {
    const budgets = async () => (await api.request<{ budgets: { spentMicros: number; reservedMicros: number; remainingMicros: number }[] }>('GET', '/v1/budgets')).body.budgets;
    const settled = await poll(budgets, (list) => list.length === 0 || list[0]!.reservedMicros === 0, 5_000, 'no open holds');
    const spentBefore = settled[0]?.spentMicros ?? 0;
    const headroom = 30 * EMBED_PRICES.inputPerMillion;
    expect((await api.request('PUT', '/v1/budgets', { body: { scope: 'tenant', period: 'daily', limitMicros: spentBefore + headroom, enforcement: 'hard' } })).status).toBe(200);

    const small = await client.embeddings.create({ model: 'embed/default', input: 'fits' });
    const standing = await poll(budgets, (list) => list[0]!.reservedMicros === 0, 5_000, 'the small call to settle');
    expect(standing[0]!.spentMicros).toBe(spentBefore + small.usage.prompt_tokens * EMBED_PRICES.inputPerMillion);

    const mark = upstream.requests.length;
    const refused = await fetch(`${tessera.url}/v1/embeddings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tessera.tenant.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'embed/default', input: 'far too many words for what is left of this budget '.repeat(5) }),
    });
    // OpenAI's answer to spent quota, which its SDKs raise as a RateLimitError and are told not to retry.
    expect(refused.status).toBe(429);
    expect(refused.headers.get('x-should-retry')).toBe('false');
    expect(await refused.json()).toMatchObject({ code: 'TESSERA_BUDGET_EXHAUSTED', error: { type: 'insufficient_quota', code: 'insufficient_quota' } });
    expect(embeddingRequestsSince(mark)).toHaveLength(0);
    const event = await recordOf(refused.headers.get('x-tessera-embedding-call-id')!, false);
    expect(event.type).toBe('EmbeddingCallFailed');
    expect(event.data).toMatchObject({ errorKind: 'budget-exceeded', budget: { scope: 'tenant', period: 'daily', remainingMicros: headroom - small.usage.prompt_tokens * EMBED_PRICES.inputPerMillion } });
  });
});
