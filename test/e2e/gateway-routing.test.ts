import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamId } from '../../domain/shared/stream-id.js';
import type { ModelCallCompletedData } from '../../domain/turn/events/model-call-events.js';
import { startFakeUpstream, type FakeUpstream } from '../support/fake-upstream/index.js';
import { startTessera, type RunningTessera } from '../support/tessera-harness.js';
import { apiClient, type ApiClient } from './tessera-api.js';

const prices = { inputPerMillion: 2, cachedInputPerMillion: 1, outputPerMillion: 8 };

/** With a gateway file, a failing deployment falls back, and the turn's events explain the routing and its cost. */
describe.each(['embedded', 'services'] as const)('turns through the gateway (%s profile)', (profile) => {
  let upstream: FakeUpstream;
  let tessera: RunningTessera;
  let api: ApiClient;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    const file = join(mkdtempSync(join(tmpdir(), 'tessera-gateway-')), 'gateway.json');
    const deployment = (name: string, model: string) => ({ name, provider: 'openai-compatible', baseUrl: upstream.url, apiKey: 'k', model, contextWindow: 100_000, prices });
    writeFileSync(
      file,
      JSON.stringify({
        aliases: {
          'chat/default': { deployments: [deployment('primary', 'fake-fail-500'), deployment('fallback', 'fake-backup')] },
          'chat/cheap': { deployments: [deployment('cheap', 'fake-cheap')] },
          'chat/reasoning': { deployments: [deployment('strong', 'fake-strong')] },
          'embed/default': { deployments: [deployment('embedder', 'fake-embed')] },
        },
        tasks: { extract: 'chat/reasoning' },
      }),
    );
    tessera = await startTessera(profile, { TESSERA_GATEWAY_CONFIG_FILE: file });
    api = apiClient(tessera);
  });
  afterAll(async () => {
    await tessera.close();
    await upstream.close();
  });

  const completedCall = async (turnId: string) => {
    const { events } = await tessera.backend.store.readStream(streamId('turn', turnId));
    return events.find((event) => event.type === 'ModelCallCompleted')!.data as ModelCallCompletedData;
  };

  it('routes a turn by its task: the default routes, the configured ones, and chat/default for the rest', async () => {
    const conversationId = await api.startConversation();
    for (const [task, deployment] of [['classify', 'cheap'], ['reason', 'strong'], ['extract', 'strong'], ['translate', 'fallback']] as const) {
      const turn = await api.waitForTurn(await api.sendTurn(conversationId, `Do it [[fake: reply="${task}"]]`, { task }));
      expect(turn.status).toBe('completed');
      expect((await completedCall(turn.id)).routing?.chosen, task).toBe(deployment);
    }
  });

  it('embeds through the embedding alias of the file, which is no chat model', async () => {
    const mark = upstream.requests.length;
    const response = await fetch(`${tessera.url}/v1/embeddings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tessera.tenant.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'embed/default', input: ['refund window', 'return policy'] }),
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { data: unknown[] }).data).toHaveLength(2);
    expect(upstream.requests.slice(mark).map((request) => [request.path, (request.body as { model?: string }).model])).toEqual([['/v1/embeddings', 'fake-embed']]);
    const models = (await (await fetch(`${tessera.url}/v1/models`, { headers: { authorization: `Bearer ${tessera.tenant.key}` } })).json()) as { data: { id: string }[] };
    expect(models.data.map((model) => model.id)).toEqual(['chat/default', 'chat/cheap', 'chat/reasoning', 'embed/default']);
  });

  it('routes a chat completion by its x-tessera-task header', async () => {
    const response = await fetch(`${tessera.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tessera.tenant.key}`, 'content-type': 'application/json', 'x-tessera-task': 'summarize' },
      body: JSON.stringify({ model: 'chat/default', messages: [{ role: 'user', content: 'Sum up [[fake: reply="short"]]' }] }),
    });
    expect(response.status).toBe(200);
    const completed = await completedCall(response.headers.get('x-tessera-turn-id')!);
    expect(completed.routing).toMatchObject({ alias: 'chat/cheap', chosen: 'cheap' });
  });

  it('falls back from a 5xx deployment and records the routing and the cost in ModelCallCompleted', async () => {
    const conversationId = await api.startConversation();
    const turn = await api.waitForTurn(await api.sendTurn(conversationId, 'Hello [[fake: reply="Served by the fallback."]]'));
    expect(turn.status).toBe('completed');
    expect(turn.answer).toBe('Served by the fallback.');

    const { events } = await tessera.backend.store.readStream(streamId('turn', turn.id));
    const completed = events.find((event) => event.type === 'ModelCallCompleted')!.data as ModelCallCompletedData;
    expect(completed.routing?.chosen).toBe('fallback');
    expect(completed.modelId).toBe('fake-backup');
    expect(completed.routing?.attempts.map((attempt) => [attempt.deployment, attempt.outcome])).toContainEqual(['primary', 'server']);
    expect(completed.routing?.attempts.at(-1)).toMatchObject({ deployment: 'fallback', outcome: 'ok' });
    const expectedCost = Math.round(((completed.usage.inputTokens - completed.usage.cachedInputTokens) * 2 + completed.usage.cachedInputTokens * 1 + completed.usage.outputTokens * 8));
    expect(completed.costMicros).toBe(expectedCost);
  });
});
