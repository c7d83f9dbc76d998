import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../../test/support/fake-upstream/index.js';
import { createOpenAiCompatibleModel } from '../providers/openai-compatible/index.js';
import { parseGatewayConfig } from '../routing/deployments.js';
import { routingReportOf } from '../routing/routing-report.js';
import { createManualClock } from './clock.js';
import { createGateway } from './create-gateway.js';
import { ask, failure, fakeDeployment, gatewayModelOver, modelsSince as requestedSince, scenario, streamed, type DeploymentInput } from './gateway-test-helpers.js';
import { createRetryBudget } from './retry-budget.js';

let upstream: FakeUpstream;
beforeAll(async () => {
  upstream = await startFakeUpstream();
});
afterAll(() => upstream.close());

const deployment = (name: string, overrides: Partial<DeploymentInput> = {}): DeploymentInput => fakeDeployment(upstream, name, overrides);
const modelsSince = (mark: number): string[] => requestedSince(upstream, mark);


describe('retries and fallback', () => {
  it('waits out every Retry-After of a 429 storm, then lets the fallback serve once retries run out', async () => {
    const clock = createManualClock();
    const model = gatewayModelOver([deployment('primary', scenario('status=429 retry-after=1')), deployment('backup')], {
      clock,
      retry: { maxRetries: 2, baseDelayMs: 100 },
    });
    const mark = upstream.requests.length;
    const { text, report } = await streamed(model, ask('hello storm'));

    expect(text).toBe('echo: hello storm');
    expect(modelsSince(mark)).toEqual(['fake-primary', 'fake-primary', 'fake-primary', 'fake-backup']);
    expect(report.chosen).toBe('backup');
    expect(report.attempts.map((attempt) => [attempt.deployment, attempt.outcome, attempt.retryAfterMs, attempt.retryRefused])).toEqual([
      ['primary', 'rate-limited', 1000, undefined],
      ['primary', 'rate-limited', 1000, undefined],
      ['primary', 'rate-limited', 1000, 'attempts-exhausted'],
      ['backup', 'ok', undefined, undefined],
    ]);
    const primary = report.attempts.filter((attempt) => attempt.deployment === 'primary');
    for (let index = 1; index < primary.length; index += 1) {
      const previous = primary[index - 1];
      if (!previous) throw new Error('unreachable');
      expect(primary[index]?.startedAt).toBeGreaterThanOrEqual(previous.startedAt + previous.durationMs + 1000);
    }
    expect(clock.sleeps).toHaveLength(2);
    expect(Math.min(...clock.sleeps)).toBeGreaterThanOrEqual(1000);
  });

  it('falls back at once when the retry budget is spent', async () => {
    const clock = createManualClock();
    const budget = createRetryBudget({ capacity: 0, ratio: 0, minimumPerSecond: 0, clock });
    const model = gatewayModelOver([deployment('primary', scenario('status=429 retry-after=1')), deployment('backup')], { clock, budget });
    const mark = upstream.requests.length;
    const { report } = await streamed(model, ask('hello'));
    expect(modelsSince(mark)).toEqual(['fake-primary', 'fake-backup']);
    expect(report.attempts[0]).toMatchObject({ deployment: 'primary', outcome: 'rate-limited', retryRefused: 'budget-exhausted' });
    expect(clock.sleeps).toEqual([]);
  });

  it('falls back from a deployment answering 500, and the generate result carries the report', async () => {
    const model = gatewayModelOver([deployment('broken', { model: 'fake-fail-500' }), deployment('backup')], { retry: { maxRetries: 1 } });
    const result = await model.generate(ask('hello'));
    expect(result.text).toBe('echo: hello');
    expect(routingReportOf(result)).toBe(result.routing);
    expect(result.routing.attempts.map((attempt) => [attempt.deployment, attempt.outcome])).toEqual([
      ['broken', 'server'],
      ['broken', 'server'],
      ['backup', 'ok'],
    ]);
    expect(result.costMicros).toBe(result.usage.inputTokens * 1 + result.usage.outputTokens * 2);
    expect(result.routing.candidates.map((candidate) => [candidate.provider, candidate.model])).toEqual([
      ['openai-compatible', 'fake-fail-500'],
      ['openai-compatible', 'fake-backup'],
    ]);
    expect(result.routing.candidates.map((candidate) => candidate.reason)).toEqual([
      'priority 1; failed (server) after 2 attempt(s)',
      'priority 2; served after 1 attempt(s)',
    ]);
  });

  it('neither retries nor falls back on a 400', async () => {
    const model = gatewayModelOver([deployment('primary'), deployment('backup')]);
    const mark = upstream.requests.length;
    const error = await failure(() => streamed(model, ask('[[fake: status=400]]')));
    expect(error.kind).toBe('bad-request');
    expect(modelsSince(mark)).toEqual(['fake-primary']);
    expect(routingReportOf(error)?.attempts).toEqual([expect.objectContaining({ outcome: 'bad-request', retryRefused: 'not-retryable' })]);
    expect(routingReportOf(error)?.candidates[1]?.reason).toBe('priority 2; not tried');
  });
});

describe('context windows', () => {
  const longPrompt = `Summarise this. ${'The committee met again and discussed the budget at length. '.repeat(30)}`;

  it('skips a deployment too small for prompt plus output, before calling it, and records why', async () => {
    const small = deployment('small', { model: 'fake-context-50', contextWindow: 50 });
    const model = gatewayModelOver([small, deployment('large')]);
    const mark = upstream.requests.length;
    const { report } = await streamed(model, { ...ask(longPrompt), maxOutputTokens: 200 });
    expect(modelsSince(mark)).toEqual(['fake-large']);
    expect(report.candidates[0]).toMatchObject({ deployment: 'small', skipped: 'context-window' });
    expect(report.candidates[0]?.reason).toMatch(/needs \d+ prompt \+ 200 output tokens, its window is 50/);
    expect(report.chosen).toBe('large');

    // The skip mattered: called anyway, the small deployment rejects the prompt.
    const direct = createOpenAiCompatibleModel({ baseUrl: upstream.url, apiKey: 'test-key', modelId: 'fake-context-50' });
    expect(await failure(() => direct.generate(ask(longPrompt)))).toMatchObject({ kind: 'context-overflow', details: { status: 400 } });
  });

  it('asks a deployment for no more output than it allows, and counts its window with that cap', async () => {
    const capped = deployment('capped', { contextWindow: 4_000, maxOutputTokens: 1_000 });
    const model = gatewayModelOver([capped, deployment('large')]);
    const mark = upstream.requests.length;
    const { report } = await streamed(model, { ...ask('short question'), maxOutputTokens: 4_096 });
    expect(report.chosen).toBe('capped');
    expect(report.candidates[0]?.skipped).toBeUndefined();
    expect(modelsSince(mark)).toEqual(['fake-capped']);
    expect(upstream.requests.at(-1)?.body).toMatchObject({ max_tokens: 1_000 });
    // Below the deployment's cap, the request's own stands.
    await streamed(model, { ...ask('shorter'), maxOutputTokens: 50 });
    expect(upstream.requests.at(-1)?.body).toMatchObject({ max_tokens: 50 });
  });

  it('fails with context-overflow, sending nothing, when no deployment has room', async () => {
    const model = gatewayModelOver([deployment('tiny', { contextWindow: 40 }), deployment('small', { contextWindow: 60 })]);
    const mark = upstream.requests.length;
    const error = await failure(() => model.generate(ask(longPrompt)));
    expect(error.kind).toBe('context-overflow');
    expect(modelsSince(mark)).toEqual([]);
    expect(routingReportOf(error)?.candidates.map((candidate) => candidate.skipped)).toEqual(['context-window', 'context-window']);
  });
});

describe('aliases and tasks', () => {
  it('resolves tasks to their aliases and rejects unknown aliases as bad requests', () => {
    const cheap = { deployments: [deployment('cheap')] };
    const config = parseGatewayConfig({ aliases: { 'chat/default': { deployments: [deployment('main')] }, 'chat/cheap': cheap } });
    const gateway = createGateway(config);
    expect(gateway.modelForTask('classify').alias).toBe('chat/cheap');
    expect(gateway.modelForTask('reason').alias).toBe('chat/default');
    expect(() => gateway.languageModel('chat/nope')).toThrow(expect.objectContaining({ kind: 'bad-request' }) as Error);
    expect(Object.keys(gateway.languageModels())).toEqual(['chat/default', 'chat/cheap']);
  });
});
