import { randomUUID } from 'node:crypto';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../domain/events/envelope.js';
import { streamId } from '../../domain/shared/stream-id.js';
import type { ModelCallCompletedData } from '../../domain/turn/events/model-call-events.js';
import { startFakeUpstream, type FakeUpstream } from '../support/fake-upstream/index.js';
import { startTessera, type HarnessProfile, type RunningTessera } from '../support/tessera-harness.js';
import { apiClient, poll } from './tessera-api.js';

/**
 * The exact-match cache: a deterministic request asked again is answered without the
 * model, recorded as a cached completion that cost nothing and names the call it came
 * from; anything that could change the answer, or `Cache-Control: no-cache`, misses.
 */
describe.each<HarnessProfile>(['embedded', 'services'])('the response cache (%s profile)', (profile) => {
  let upstream: FakeUpstream;
  let tessera: RunningTessera;
  let client: OpenAI;
  const redisKeyPrefix = `test-cache-${randomUUID()}:`;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    tessera = await startTessera(profile, { TESSERA_MODEL_BASE_URL: upstream.url, TESSERA_CHAT_MODEL: 'fake-model', TESSERA_REDIS_KEY_PREFIX: redisKeyPrefix });
    client = new OpenAI({ baseURL: `${tessera.url}/v1`, apiKey: tessera.tenant.key, maxRetries: 0 });
  });
  afterAll(async () => {
    await tessera?.close();
    await upstream?.close();
  });

  const upstreamCallsFor = (marker: string) =>
    upstream.requests.filter((request) => request.path === '/v1/chat/completions' && JSON.stringify(request.body).includes(marker)).length;

  async function complete(content: string, options: { temperature?: number; seed?: number; headers?: Record<string, string>; apiClient?: OpenAI } = {}) {
    const { data, response } = await (options.apiClient ?? client).chat.completions
      .create({ model: 'chat/default', messages: [{ role: 'user', content }], temperature: options.temperature, seed: options.seed }, { headers: options.headers })
      .withResponse();
    const turnId = response.headers.get('x-tessera-turn-id')!;
    const events = (await tessera.backend.store.readStream(streamId('turn', turnId))).events;
    return { answer: data.choices[0]?.message.content, usage: data.usage, completion: completedCall(events) };
  }

  const completedCall = (events: readonly RecordedEvent[]) => {
    const found = events.find((event) => event.type === 'ModelCallCompleted');
    expect(found).toBeDefined();
    return { callId: (found!.data as ModelCallCompletedData).callId, data: found!.data as ModelCallCompletedData };
  };

  it('answers a repeated temperature-0 request from the cache, free, naming the call it came from', async () => {
    const marker = randomUUID();
    const first = await complete(`Define idempotent. ${marker} [[fake: reply="Same effect when repeated."]]`, { temperature: 0 });
    const second = await complete(`Define idempotent. ${marker} [[fake: reply="Same effect when repeated."]]`, { temperature: 0 });

    expect(upstreamCallsFor(marker)).toBe(1);
    expect(first.completion.data.cached).toBeUndefined();
    expect(second.answer).toBe(first.answer);
    expect(second.usage).toEqual(first.usage);
    expect(second.completion.data).toMatchObject({ cached: true, costMicros: 0, cachedFromCallId: first.completion.callId, text: 'Same effect when repeated.' });
    expect(second.completion.callId).not.toBe(first.completion.callId);

    // The ledger files the hit apart from the deployment (named `default` here), free.
    type Row = { deployment: string; cachedCalls: number; costMicros: number };
    const rows = await poll(
      async () => (await apiClient(tessera).request<{ data: Row[] }>('GET', '/v1/usage?groupBy=deployment')).body.data,
      (data) => data.some((row) => row.deployment === '(cache)'),
      10_000,
      'the ledger to count the hit',
    );
    expect(rows.find((row) => row.deployment === '(cache)')).toMatchObject({ cachedCalls: 1, costMicros: 0 });
    expect(rows.find((row) => row.deployment === 'default')).toMatchObject({ cachedCalls: 0 });
  });

  it('caches a seeded request too, but never one that may answer differently each time', async () => {
    const seeded = randomUUID();
    await complete(`Seeded ${seeded} [[fake: reply="s"]]`, { seed: 7, temperature: 0.9 });
    const again = await complete(`Seeded ${seeded} [[fake: reply="s"]]`, { seed: 7, temperature: 0.9 });
    expect(again.completion.data.cached).toBe(true);
    expect(upstreamCallsFor(seeded)).toBe(1);

    const free = randomUUID();
    await complete(`Free ${free} [[fake: reply="f"]]`, { temperature: 0.9 });
    const freeAgain = await complete(`Free ${free} [[fake: reply="f"]]`, { temperature: 0.9 });
    expect(freeAgain.completion.data.cached).toBeUndefined();
    expect(upstreamCallsFor(free)).toBe(2);
  });

  it('misses when anything keyed changes: the message, the seed', async () => {
    const marker = randomUUID();
    await complete(`Keyed ${marker} [[fake: reply="k"]]`, { seed: 1 });
    expect((await complete(`Keyed ${marker}! [[fake: reply="k"]]`, { seed: 1 })).completion.data.cached).toBeUndefined();
    expect((await complete(`Keyed ${marker} [[fake: reply="k"]]`, { seed: 2 })).completion.data.cached).toBeUndefined();
    expect(upstreamCallsFor(marker)).toBe(3);
  });

  it('calls the model when the request says Cache-Control: no-cache, and serves the fresh answer afterwards', async () => {
    const marker = randomUUID();
    await complete(`Fresh ${marker} [[fake: reply="old"]]`, { temperature: 0 });
    const fresh = await complete(`Fresh ${marker} [[fake: reply="old"]]`, { temperature: 0, headers: { 'cache-control': 'no-cache' } });
    expect(fresh.completion.data.cached).toBeUndefined();
    expect(upstreamCallsFor(marker)).toBe(2);
    const cachedAgain = await complete(`Fresh ${marker} [[fake: reply="old"]]`, { temperature: 0 });
    expect(cachedAgain.completion.data.cachedFromCallId).toBe(fresh.completion.callId);
  });

  it('keeps one tenant from being served what another asked', async () => {
    const marker = randomUUID();
    const other = new OpenAI({ baseURL: `${tessera.url}/v1`, apiKey: tessera.otherTenant.key, maxRetries: 0 });
    await complete(`Private ${marker} [[fake: reply="p"]]`, { temperature: 0 });
    const theirs = await complete(`Private ${marker} [[fake: reply="p"]]`, { temperature: 0, apiClient: other });
    expect(theirs.completion.data.cached).toBeUndefined();
    expect(upstreamCallsFor(marker)).toBe(2);
  });

  it('streams a cached answer like any other', async () => {
    const marker = randomUUID();
    const content = `Stream ${marker} [[fake: reply="alpha beta gamma"]]`;
    await complete(content, { temperature: 0 });
    const stream = await client.chat.completions.create({ model: 'chat/default', messages: [{ role: 'user', content }], temperature: 0, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('alpha beta gamma');
    expect(upstreamCallsFor(marker)).toBe(1);
  });
});
