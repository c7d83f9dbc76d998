import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../../test/support/fake-upstream/index.js';
import { routingReportOf } from '../routing/routing-report.js';
import { ask, failure, fakeDeployment, gatewayModelOver, modelsSince as requestedSince, streamed, type DeploymentInput } from './gateway-test-helpers.js';

let upstream: FakeUpstream;
/** A provider that checks its key, as OpenAI does: a deployment holding any other key gets a real 401. */
let guarded: FakeUpstream;
const RIGHT_KEY = 'the-right-key';

beforeAll(async () => {
  upstream = await startFakeUpstream();
  guarded = await startFakeUpstream({ apiKey: RIGHT_KEY });
});
afterAll(async () => {
  await upstream?.close();
  await guarded?.close();
});

const deployment = (name: string, overrides: Partial<DeploymentInput> = {}): DeploymentInput => fakeDeployment(upstream, name, overrides);
const modelsSince = (mark: number): string[] => requestedSince(upstream, mark);

describe('a context overflow the count before the call missed', () => {
  // About 500 tokens however they are counted: far inside the window the gateway is told, far past the server's real one.
  const longPrompt = `Summarise this. ${'The committee met again and discussed the budget at length. '.repeat(45)}`;
  // The server's window is 200 tokens (`fake-context-200`), but the deployment claims 100 000 (another tokenizer, a wrong figure).
  const misjudged = () => deployment('misjudged', { model: 'fake-context-200', contextWindow: 100_000 });

  it('falls back to the next deployment after one request, and the routing report says the first overflowed', async () => {
    const model = gatewayModelOver([misjudged(), deployment('roomy')], { retry: { maxRetries: 3 } });
    const mark = upstream.requests.length;
    const result = await model.generate(ask(longPrompt));

    expect(result.text).toMatch(/^echo: Summarise this\./);
    // Sent once: an overflow is not retried on the same deployment, however many retries are allowed.
    expect(modelsSince(mark)).toEqual(['fake-context-200', 'fake-roomy']);
    expect(result.routing.chosen).toBe('roomy');
    expect(result.routing.attempts.map((attempt) => [attempt.deployment, attempt.outcome, attempt.retryRefused])).toEqual([
      ['misjudged', 'context-overflow', 'not-retryable'],
      ['roomy', 'ok', undefined],
    ]);
    // The count before the call let it through: it was tried, not skipped.
    expect(result.routing.candidates.map((candidate) => [candidate.deployment, candidate.skipped, candidate.reason])).toEqual([
      ['misjudged', undefined, 'priority 1; failed (context-overflow) after 1 attempt(s)'],
      ['roomy', undefined, 'priority 2; served after 1 attempt(s)'],
    ]);
  });

  it('lets the same deployment serve a prompt that fits its real window', async () => {
    // The control: the fallback above was the overflow's doing, not a deployment that always fails.
    const model = gatewayModelOver([misjudged(), deployment('roomy')]);
    const mark = upstream.requests.length;
    const result = await model.generate(ask('A short question.'));
    expect(modelsSince(mark)).toEqual(['fake-context-200']);
    expect(result.routing.chosen).toBe('misjudged');
  });

  it('falls back the same way for a streamed call, with no part of the overflowing deployment passed on', async () => {
    const model = gatewayModelOver([misjudged(), deployment('roomy')]);
    const mark = upstream.requests.length;
    const { text, report, parts } = await streamed(model, ask(longPrompt));

    expect(modelsSince(mark)).toEqual(['fake-context-200', 'fake-roomy']);
    const deltas = parts.map((part) => (part.type === 'text-delta' ? part.text : '')).join('');
    expect(deltas).toBe(text);
    expect(report.chosen).toBe('roomy');
    expect(report.attempts.map((attempt) => [attempt.deployment, attempt.outcome])).toEqual([
      ['misjudged', 'context-overflow'],
      ['roomy', 'ok'],
    ]);
    expect(report.candidates[0]?.reason).toBe('priority 1; failed (context-overflow) after 1 attempt(s)');
  });

  it('fails with context-overflow, each deployment asked once, when every one overflows after all', async () => {
    const model = gatewayModelOver([
      deployment('first', { model: 'fake-context-overflow' }),
      deployment('second', { model: 'fake-context-200', contextWindow: 100_000 }),
    ]);
    const mark = upstream.requests.length;
    const error = await failure(() => model.generate(ask(longPrompt)));

    expect(error.kind).toBe('context-overflow');
    expect(error.details.status).toBe(400);
    expect(modelsSince(mark)).toEqual(['fake-context-overflow', 'fake-context-200']);
    const report = routingReportOf(error);
    expect(report?.chosen).toBeUndefined();
    expect(report?.attempts.map((attempt) => [attempt.deployment, attempt.outcome, attempt.retryRefused])).toEqual([
      ['first', 'context-overflow', 'not-retryable'],
      ['second', 'context-overflow', 'not-retryable'],
    ]);
  });
});

/**
 * The README: "400, 401 and context overflow are not retried". The gateway falls back
 * only on the kinds it retries and on context overflow, so a wrong key ends the call on
 * the deployment that has it: another deployment would not make the key right, and a
 * fallback would hide the misconfiguration behind answers from elsewhere.
 */
describe('a 401 from a provider', () => {
  const revoked = (overrides: Partial<DeploymentInput> = {}) => fakeDeployment(guarded, 'revoked', { apiKey: 'a-revoked-key', ...overrides });

  it('is neither retried nor handed to the next deployment: one request, and an authentication error carrying the report', async () => {
    const model = gatewayModelOver([revoked(), deployment('backup')], { retry: { maxRetries: 3 } });
    const [guardedMark, mark] = [guarded.requests.length, upstream.requests.length];
    const error = await failure(() => model.generate(ask('hello')));

    expect(error.kind).toBe('authentication');
    expect(error.details.status).toBe(401);
    expect(guarded.requests.length - guardedMark).toBe(1);
    expect(modelsSince(mark)).toEqual([]);
    const report = routingReportOf(error);
    expect(report?.chosen).toBeUndefined();
    expect(report?.attempts).toEqual([expect.objectContaining({ deployment: 'revoked', outcome: 'authentication', retryRefused: 'not-retryable' })]);
    expect(report?.candidates.map((candidate) => candidate.reason)).toEqual([
      'priority 1; failed (authentication) after 1 attempt(s)',
      'priority 2; not tried',
    ]);
  });

  it('ends a streamed call the same way, before any output', async () => {
    const model = gatewayModelOver([revoked(), deployment('backup')], { retry: { maxRetries: 3 } });
    const [guardedMark, mark] = [guarded.requests.length, upstream.requests.length];
    const error = await failure(() => streamed(model, ask('hello')));

    expect(error).toMatchObject({ kind: 'authentication', details: { status: 401 } });
    expect(guarded.requests.length - guardedMark).toBe(1);
    expect(modelsSince(mark)).toEqual([]);
  });

  it('is not the deployment failing: its breaker stays closed, so every call still reaches it once and only once', async () => {
    const changes: string[] = [];
    const breaker = { consecutiveFailures: 1 };
    const model = gatewayModelOver([revoked({ breaker }), deployment('backup')], {
      onBreakerStateChange: (name, state) => changes.push(`${name}:${state}`),
    });
    const [guardedMark, mark] = [guarded.requests.length, upstream.requests.length];
    for (let call = 0; call < 3; call += 1) {
      expect((await failure(() => model.generate(ask(`call ${call}`)))).kind).toBe('authentication');
    }
    expect(guarded.requests.length - guardedMark).toBe(3);
    expect(modelsSince(mark)).toEqual([]);
    expect(changes).toEqual([]);

    // The control: with the same breaker a server error does open it, and the next call goes to the backup.
    const broken = gatewayModelOver([deployment('broken', { model: 'fake-fail-500', breaker }), deployment('backup')], {
      retry: { maxRetries: 0 },
      onBreakerStateChange: (name, state) => changes.push(`${name}:${state}`),
    });
    await broken.generate(ask('first'));
    expect(changes).toEqual(['broken:open']);
    const next = await broken.generate(ask('second'));
    expect(next.routing.candidates[0]?.skipped).toBe('breaker-open');
  });

  it('is answered once the key is right: the refusal was the key, not the deployment', async () => {
    const model = gatewayModelOver([revoked({ apiKey: RIGHT_KEY }), deployment('backup')]);
    const mark = guarded.requests.length;
    const result = await model.generate(ask('hello'));
    expect(result.text).toBe('echo: hello');
    expect(result.routing.chosen).toBe('revoked');
    expect(guarded.requests.length - mark).toBe(1);
  });
});
