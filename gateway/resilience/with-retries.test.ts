import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../../test/support/fake-upstream/index.js';
import type { LanguageModel } from '../model-spec.js';
import { createOpenAiCompatibleModel } from '../providers/openai-compatible/index.js';
import { createManualClock } from './clock.js';
import { ask, failure } from './gateway-test-helpers.js';
import { createRetryBudget } from './retry-budget.js';
import { withRetries, type AttemptRecord } from './with-retries.js';

let upstream: FakeUpstream;
beforeAll(async () => {
  upstream = await startFakeUpstream();
});
afterAll(() => upstream.close());

const provider = (modelId: string, headers?: Record<string, string>): LanguageModel =>
  createOpenAiCompatibleModel({ baseUrl: upstream.url, apiKey: 'test-key', modelId, ...(headers && { headers }) });

describe('withRetries', () => {
  it('sends nothing before the retry-after-ms deadline, then gives up after maxRetries', async () => {
    const clock = createManualClock();
    const attempts: AttemptRecord[] = [];
    const model = withRetries(provider('fake-chat', { 'x-fake-scenario': 'status=429 retry-after-ms=1500' }), {
      clock,
      maxRetries: 3,
      baseDelayMs: 100,
      random: () => 0.99,
      onAttempt: (attempt) => attempts.push(attempt),
    });
    const error = await failure(() => model.generate(ask('hi')));
    expect(error).toMatchObject({ kind: 'rate-limited', details: { retryAfterMs: 1500 } });
    expect(attempts).toHaveLength(4);
    expect(clock.sleeps).toEqual([1500 + 99, 1500 + 99, 1500 + 99]);
    expect(attempts.map((attempt) => attempt.startedAt - (attempts[0]?.startedAt ?? 0))).toEqual([0, 1599, 3198, 4797]);
    expect(attempts.at(-1)?.retryRefused).toBe('attempts-exhausted');
  });

  it('fails fast once the shared retry budget is spent', async () => {
    const clock = createManualClock();
    const budget = createRetryBudget({ capacity: 1, ratio: 0, minimumPerSecond: 0, clock });
    const attempts: AttemptRecord[] = [];
    const model = withRetries(provider('fake-fail-500'), { clock, budget, maxRetries: 3, onAttempt: (attempt) => attempts.push(attempt) });
    const mark = upstream.requests.length;

    await failure(() => model.generate(ask('first')));
    expect(attempts.map((attempt) => attempt.retryRefused)).toEqual([undefined, 'budget-exhausted']);
    attempts.length = 0;
    await failure(() => model.generate(ask('second')));
    expect(attempts.map((attempt) => attempt.retryRefused)).toEqual(['budget-exhausted']);
    expect(upstream.requests.length - mark).toBe(3);
  });

  it('does not wait out a Retry-After longer than it may, so a fallback can serve now', async () => {
    const clock = createManualClock();
    const attempts: AttemptRecord[] = [];
    const model = withRetries(provider('fake-chat', { 'x-fake-scenario': 'status=429 retry-after=120' }), {
      clock,
      maxRetryAfterMs: 30_000,
      onAttempt: (attempt) => attempts.push(attempt),
    });
    await failure(() => model.generate(ask('hi')));
    expect(attempts).toEqual([expect.objectContaining({ retryAfterMs: 120_000, retryRefused: 'retry-after-too-long' })]);
    expect(clock.sleeps).toEqual([]);
  });

  it('retries a stream that failed before its first token, and stops when the caller aborts during the wait', async () => {
    const clock = createManualClock();
    const controller = new AbortController();
    const model = withRetries(provider('fake-fail-502'), {
      clock: { ...clock, sleep: (milliseconds, signal) => (controller.abort(), clock.sleep(milliseconds, signal)) },
      maxRetries: 5,
    });
    const error = await failure(async () => {
      for await (const part of model.stream({ ...ask('hi'), abortSignal: controller.signal })) void part;
    });
    expect(error.kind).toBe('aborted');
  });

  it('passes a successful answer through after one failure without changing it', async () => {
    let calls = 0;
    const flaky = provider('fake-chat');
    const attempts: AttemptRecord[] = [];
    const model = withRetries(
      { ...flaky, generate: (request) => (calls++ === 0 ? flaky.generate(ask('[[fake: status=503]]')) : flaky.generate(request)) },
      { clock: createManualClock(), onAttempt: (attempt) => attempts.push(attempt) },
    );
    const result = await model.generate(ask('hello again'));
    expect(result.text).toBe('echo: hello again');
    expect(attempts.map((attempt) => attempt.outcome)).toEqual(['server', 'ok']);
  });
});
