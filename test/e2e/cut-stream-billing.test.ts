import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamId } from '../../domain/shared/stream-id.js';
import type { ModelCallFailedData } from '../../domain/turn/events/model-call-events.js';
import type { TurnRequestedData } from '../../domain/turn/events/turn-requested.js';
import { costMicrosOf } from '../../gateway/routing/index.js';
import { tokenCounterFor } from '../../gateway/tokens/count-tokens.js';
import type { FakeUpstream } from '../support/fake-upstream/index.js';
import { startGatewayFixture, type GatewayFixture } from '../support/gateway-file.js';
import { apiClient, poll, type ApiClient, type ConversationView, type TurnView } from './tessera-api.js';

const PRICES = { inputPerMillion: 2_000, cachedInputPerMillion: 1_000, outputPerMillion: 8_000 };
const LEASE_MS = 2_000;
const CHUNK_DELAY_MS = 400;
const gatewayOver = (upstream: FakeUpstream) => ({
  aliases: { 'chat/default': { deployments: [{ name: 'flaky', provider: 'openai-compatible' as const, baseUrl: upstream.url, apiKey: 'k', model: 'fake-chat', contextWindow: 100_000, prices: PRICES }] } },
});

/**
 * A stream cut after the provider sent part of its answer: the provider bills it, though
 * it never reports usage, so the call is recorded, held and counted at an estimate.
 */
describe.each(['embedded', 'services'] as const)('a streamed answer cut mid-way (%s profile)', (profile) => {
  let fixture: GatewayFixture;
  let api: ApiClient;

  beforeAll(async () => {
    // Slow chunks and a short lease: a long answer outlives its call's lease.
    fixture = await startGatewayFixture(profile, gatewayOver, { upstream: { chunkDelayMs: CHUNK_DELAY_MS }, environment: { TESSERA_MODEL_CALL_LEASE_MS: String(LEASE_MS) } });
    api = apiClient(fixture.tessera);
    expect((await api.request('PUT', '/v1/budgets', { body: { scope: 'tenant', period: 'daily', limitMicros: 1_000_000_000, enforcement: 'hard' } })).status).toBe(200);
  });
  afterAll(() => fixture.close());

  /** Streams a completion that fails part-way; returns what the client received, its error and the turn's events. */
  const cutStream = async (content: string) => {
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
    const { events } = await fixture.tessera.backend.store.readStream(streamId('turn', response.headers.get('x-tessera-turn-id')!));
    return { received: received.join(''), failure, events };
  };

  /** The estimate a cut call is billed at: the prompt and the output it got, counted with the deployment's tokenizer. */
  const estimateFor = (content: string, partialText: string) => {
    const counter = tokenCounterFor('fake-chat');
    return { inputTokens: counter.messages([{ role: 'user', content }]), cachedInputTokens: 0, outputTokens: counter.text(partialText) };
  };

  it('tells the client why after the words it got, records them with what they cost, and counts that in the budget and the ledger', async () => {
    const content = 'Tell me everything [[fake: reply="alpha beta gamma delta epsilon zeta" disconnect-after-chunks=3]]';
    const { received, failure, events } = await cutStream(content);
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect(events.map((event) => event.type)).toEqual(['TurnRequested', 'PromptBuilt', 'ModelCallStarted', 'ModelCallFailed', 'TurnFailed']);
    const failed = events[3]!.data as ModelCallFailedData;
    expect(failed.partialText).toBeTruthy();
    expect(received).toBe(failed.partialText);
    expect(events[4]!.data).toMatchObject({ reason: 'model-call-failed' });

    const usage = estimateFor(content, failed.partialText!);
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

    // The conversation view counts what the ledger counts.
    const { conversationId } = events[0]!.data as TurnRequestedData;
    const view = await poll(
      async () => (await api.request<ConversationView>('GET', `/v1/conversations/${conversationId}`)).body,
      (body) => body.turns?.[0]?.status === 'failed' && body.usage.costMicros > 0,
      10_000,
      'the conversation view to count the cut call',
    );
    const billed = { inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, costMicros: costMicrosOf(PRICES, usage) };
    expect(view.usage).toEqual(billed);
    expect(view.turns[0]!.usage).toEqual(billed);
    // And so does the turn's own view.
    const turn = (await api.request<TurnView>('GET', `/v1/turns/${events[0]!.streamId.replace(/^turn-/, '')}`)).body;
    expect(turn.usage).toEqual({ inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, cachedInputTokens: 0 });
  });

  it('records and bills the tool-call arguments a stream sent before it was cut', async () => {
    const content = 'Look it up [[fake: tool=get_weather args={"city":"Paris"} disconnect-after-chunks=4]]';
    const { failure, events } = await cutStream(content);
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    const failed = events.find((event) => event.type === 'ModelCallFailed')!.data as ModelCallFailedData;
    // The role chunk, the call's start and two of its three argument pieces went out.
    expect(failed.partialToolCalls).toHaveLength(1);
    expect(failed.partialToolCalls?.[0]).toMatchObject({ name: 'get_weather', arguments: '{"city":"Par' });
    const usage = { ...estimateFor(content, ''), outputTokens: tokenCounterFor('fake-chat').text('get_weather{"city":"Par') };
    expect(failed).toMatchObject({ errorKind: 'disconnected', usage, costMicros: costMicrosOf(PRICES, usage) });
    expect(usage.outputTokens).toBeGreaterThan(0);
  });

  it('ends a call still running at its lease in a timeout, keeping and billing what it streamed, so no other worker calls again', async () => {
    const words = Array.from({ length: 20 }, (_, index) => `word${index}`).join(' ');
    const content = `A very long answer please [[fake: reply="${words}"]]`;
    const started = Date.now();
    const { received, failure, events } = await cutStream(content);
    expect(Date.now() - started).toBeLessThan(LEASE_MS + 2_000);
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    const failed = events.find((event) => event.type === 'ModelCallFailed')!.data as ModelCallFailedData;
    expect(failed).toMatchObject({ errorKind: 'timeout', usage: estimateFor(content, failed.partialText!) });
    expect(failed.message).toContain('TESSERA_MODEL_CALL_LEASE_MS');
    expect(received).toBe(failed.partialText);
    expect(failed.partialText!.split(' ').length).toBeLessThan(20);
    expect(events.filter((event) => event.type === 'ModelCallStarted')).toHaveLength(1);
  });
});
