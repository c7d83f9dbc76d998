import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../../test/support/fake-upstream/index.js';
import { parseGatewayConfig } from '../routing/deployments.js';
import { routingReportOf } from '../routing/routing-report.js';
import { createManualClock, systemClock } from './clock.js';
import { createGateway } from './create-gateway.js';
import { ask, failure, fakeDeployment, gatewayModelOver, modelsSince as requestedSince, scenario, streamed, TEST_PRICES, type DeploymentInput } from './gateway-test-helpers.js';
import { estimatedSpendingOf, partialToolCallsOf } from './gateway-call-error.js';
import { costMicrosOf } from '../routing/estimate-cost.js';
import { tokenCounterFor } from '../tokens/count-tokens.js';

let upstream: FakeUpstream;
beforeAll(async () => {
  upstream = await startFakeUpstream();
});
afterAll(() => upstream.close());

const deployment = (name: string, overrides: Partial<DeploymentInput> = {}): DeploymentInput => fakeDeployment(upstream, name, overrides);
const modelsSince = (mark: number): string[] => requestedSince(upstream, mark);


describe('timeouts and streamed output', () => {
  it('falls back when the first token does not come in time', async () => {
    const model = gatewayModelOver(
      [deployment('hanging', { ...scenario('hang-before-first-token=5000'), timeouts: { firstTokenMs: 150 } }), deployment('backup')],
      { retry: { maxRetries: 1 } },
    );
    const started = Date.now();
    const { text, report } = await streamed(model, ask('quick please'));
    expect(text).toBe('echo: quick please');
    expect(report.attempts.map((attempt) => [attempt.deployment, attempt.outcome])).toEqual([
      ['hanging', 'timeout'],
      ['hanging', 'timeout'],
      ['backup', 'ok'],
    ]);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('takes the file\'s timeouts for a deployment that sets none, and its own where it does', async () => {
    const config = parseGatewayConfig({
      timeouts: { firstTokenMs: 150 },
      aliases: {
        'chat/default': {
          deployments: [deployment('hanging', scenario('hang-before-first-token=5000')), deployment('patient', { ...scenario('hang-before-first-token=400'), timeouts: { firstTokenMs: 2_000 } })],
        },
      },
    });
    const model = createGateway(config, { clock: createManualClock(), random: () => 0.5, retry: { maxRetries: 0 } }).languageModel('chat/default');
    const started = Date.now();
    const { text, report } = await streamed(model, ask('who waits?'));
    expect(text).toBe('echo: who waits?');
    expect(report.attempts.map((attempt) => [attempt.deployment, attempt.outcome])).toEqual([
      ['hanging', 'timeout'],
      ['patient', 'ok'],
    ]);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('ends a stream cut mid-answer with the partial text, without retrying or falling back', async () => {
    const model = gatewayModelOver([deployment('flaky', scenario('disconnect-after-chunks=3')), deployment('backup')]);
    const mark = upstream.requests.length;
    const received: string[] = [];
    const error = await failure(async () => {
      for await (const part of model.stream(ask('[[fake: reply="alpha beta gamma delta"]]'))) {
        if (part.type === 'text-delta') received.push(part.text);
      }
    });
    expect(error).toMatchObject({ kind: 'disconnected', name: 'GatewayCallError', details: { partialText: 'alpha beta' } });
    expect(received.join('')).toBe('alpha beta');
    expect(modelsSince(mark)).toEqual(['fake-flaky']);
    const report = routingReportOf(error);
    expect(report?.chosen).toBe('flaky');
    expect(report?.attempts).toEqual([expect.objectContaining({ deployment: 'flaky', outcome: 'disconnected', retryRefused: 'output-streamed' })]);
    expect(report?.candidates.map((candidate) => candidate.reason)).toEqual(['priority 1; failed (disconnected) after streaming output', 'priority 2; not tried']);
    // The provider bills the prompt and the words it sent, though a cut stream reports no usage.
    const request = ask('[[fake: reply="alpha beta gamma delta"]]');
    const usage = { inputTokens: tokenCounterFor('fake-flaky').request(request), cachedInputTokens: 0, outputTokens: tokenCounterFor('fake-flaky').text('alpha beta') };
    expect(estimatedSpendingOf(error)).toEqual({ usage, costMicros: costMicrosOf(TEST_PRICES, usage), provider: 'openai-compatible', modelId: 'fake-flaky' });
    expect(usage.outputTokens).toBeGreaterThan(0);
  });

  it('bills a stream cut in the middle of tool-call arguments for the arguments it sent, and keeps the partial call', async () => {
    const model = gatewayModelOver([deployment('flaky', scenario('disconnect-after-chunks=4')), deployment('backup')]);
    const request = ask('[[fake: tool=get_weather args={"city":"Paris"}]] weather?');
    const error = await failure(() => streamed(model, request));
    expect(error).toMatchObject({ kind: 'disconnected' });
    // The role chunk, the call's start and two of its three argument pieces went out.
    const partialToolCalls = partialToolCallsOf(error);
    expect(partialToolCalls).toHaveLength(1);
    expect(partialToolCalls[0]).toMatchObject({ name: 'get_weather', arguments: '{"city":"Par' });
    expect(partialToolCalls[0]?.id).toBeTruthy();
    const counter = tokenCounterFor('fake-flaky');
    const usage = { inputTokens: counter.request(request), cachedInputTokens: 0, outputTokens: counter.text('get_weather{"city":"Par') };
    expect(usage.outputTokens).toBeGreaterThan(0);
    expect(estimatedSpendingOf(error)).toEqual({ usage, costMicros: costMicrosOf(TEST_PRICES, usage), provider: 'openai-compatible', modelId: 'fake-flaky' });
  });

  it('ends a stream that goes quiet after its first words with a timeout keeping them, without falling back', async () => {
    const slow = await startFakeUpstream({ chunkDelayMs: 300 });
    try {
      const model = gatewayModelOver([
        deployment('slow', { baseUrl: slow.url, timeouts: { firstTokenMs: 2_000, idleMs: 100 } }),
        deployment('backup'),
      ]);
      const mark = upstream.requests.length;
      const error = await failure(() => streamed(model, ask('[[fake: reply="alpha beta gamma delta"]]')));
      expect(error).toMatchObject({ kind: 'timeout', details: { partialText: 'alpha' } });
      expect(error.message).toContain('no output for 100 ms');
      expect(slow.requests).toHaveLength(1);
      expect(modelsSince(mark)).toEqual([]);
    } finally {
      await slow.close();
    }
  });
});

describe('routing strategies over real calls', () => {
  it('lowest-latency moves to the faster deployment once both are measured', async () => {
    const deployments = [deployment('slow', scenario('delay=150')), deployment('fast')];
    const config = parseGatewayConfig({ aliases: { 'chat/default': { strategy: 'lowest-latency', deployments } } });
    const gateway = createGateway(config, { clock: systemClock, explorationRate: 0 });
    const model = gateway.languageModel('chat/default');
    const chosen: (string | undefined)[] = [];
    for (let call = 0; call < 5; call += 1) chosen.push((await streamed(model, ask(`call ${call}`))).report.chosen);
    expect(chosen).toEqual(['slow', 'fast', 'fast', 'fast', 'fast']);
    expect(gateway.latency.estimate('slow')).toBeGreaterThanOrEqual(150);
    expect(gateway.latency.estimate('fast')).toBeLessThan(150);
  });

  it('lowest-cost sends the request to the cheaper deployment', async () => {
    const expensive = deployment('expensive', { prices: { inputPerMillion: 5, cachedInputPerMillion: 2.5, outputPerMillion: 15 } });
    const config = parseGatewayConfig({ aliases: { 'chat/default': { strategy: 'lowest-cost', deployments: [expensive, deployment('cheap')] } } });
    const model = createGateway(config, { clock: createManualClock() }).languageModel('chat/default');
    const mark = upstream.requests.length;
    const { report } = await streamed(model, ask('hello'));
    expect(modelsSince(mark)).toEqual(['fake-cheap']);
    expect(report.candidates.map((candidate) => candidate.deployment)).toEqual(['cheap', 'expensive']);
  });
});
