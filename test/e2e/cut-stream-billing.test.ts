import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamId } from '../../domain/shared/stream-id.js';
import type { ModelCallFailedData } from '../../domain/turn/events/model-call-events.js';
import { costMicrosOf } from '../../gateway/routing/index.js';
import { tokenCounterFor } from '../../gateway/tokens/count-tokens.js';
import { startGatewayFixture, type GatewayFixture } from '../support/gateway-file.js';
import { apiClient, poll, type ApiClient } from './tessera-api.js';

const PRICES = { inputPerMillion: 2_000, cachedInputPerMillion: 1_000, outputPerMillion: 8_000 };

/**
 * A stream cut after the provider sent part of its answer: the provider bills it, though
 * it never reports usage, so the call is recorded, held and counted at an estimate.
 */
describe.each(['embedded', 'services'] as const)('a streamed answer cut mid-way (%s profile)', (profile) => {
  let fixture: GatewayFixture;
  let api: ApiClient;

  beforeAll(async () => {
    fixture = await startGatewayFixture(profile, (upstream) => ({
      aliases: { 'chat/default': { deployments: [{ name: 'flaky', provider: 'openai-compatible', baseUrl: upstream.url, apiKey: 'k', model: 'fake-chat', contextWindow: 100_000, prices: PRICES }] } },
    }));
    api = apiClient(fixture.tessera);
    expect((await api.request('PUT', '/v1/budgets', { body: { scope: 'tenant', period: 'daily', limitMicros: 1_000_000_000, enforcement: 'hard' } })).status).toBe(200);
  });
  afterAll(() => fixture.close());

  it('tells the client why after the words it got, records them with what they cost, and counts that in the budget and the ledger', async () => {
    const content = 'Tell me everything [[fake: reply="alpha beta gamma delta epsilon zeta" disconnect-after-chunks=3]]';
    const { data: stream, response } = await fixture.client.chat.completions
      .create({ model: 'chat/default', messages: [{ role: 'user', content }], stream: true })
      .withResponse();
    const received: string[] = [];
    const failure = await (async () => {
      for await (const chunk of stream) received.push(chunk.choices[0]?.delta.content ?? '');
    })().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    const turnId = response.headers.get('x-tessera-turn-id')!;

    const { events } = await fixture.tessera.backend.store.readStream(streamId('turn', turnId));
    expect(events.map((event) => event.type)).toEqual(['TurnRequested', 'PromptBuilt', 'ModelCallStarted', 'ModelCallFailed', 'TurnFailed']);
    const failed = events[3]!.data as ModelCallFailedData;
    expect(failed.partialText).toBeTruthy();
    expect(received.join('')).toBe(failed.partialText);
    expect(events[4]!.data).toMatchObject({ reason: 'model-call-failed' });

    const counter = tokenCounterFor('fake-chat');
    const usage = { inputTokens: counter.messages([{ role: 'user', content }]), cachedInputTokens: 0, outputTokens: counter.text(failed.partialText!) };
    expect(failed).toMatchObject({ errorKind: 'disconnected', usage, costMicros: costMicrosOf(PRICES, usage), provider: 'openai-compatible', modelId: 'fake-chat' });
    expect(usage.outputTokens).toBeGreaterThan(0);

    const budgets = await poll(
      async () => (await api.request<{ budgets: { spentMicros: number; reservedMicros: number }[] }>('GET', '/v1/budgets')).body.budgets,
      (list) => list[0]?.spentMicros === failed.costMicros,
      10_000,
      'the budget to settle at the estimate',
    );
    expect(budgets[0]!.spentMicros).toBe(costMicrosOf(PRICES, usage));

    const ledger = await poll(
      async () => (await api.request<{ totals: Record<string, number> }>('GET', '/v1/usage')).body.totals,
      (totals) => totals.calls === 1,
      15_000,
      'the ledger to count the cut call',
    );
    expect(ledger).toMatchObject({ calls: 1, inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, costMicros: costMicrosOf(PRICES, usage) });
  });
});
