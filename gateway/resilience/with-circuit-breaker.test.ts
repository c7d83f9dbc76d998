import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../../test/support/fake-upstream/index.js';
import { ModelCallError } from '../model-call-error.js';
import { createOpenAiCompatibleModel } from '../providers/openai-compatible/index.js';
import { parseGatewayConfig } from '../routing/deployments.js';
import { createGateway } from './create-gateway.js';
import { createManualClock } from './clock.js';
import { ask, fakeDeployment, scenario, TEST_PRICES } from './gateway-test-helpers.js';
import { withCircuitBreaker, type BreakerState } from './with-circuit-breaker.js';

let upstream: FakeUpstream;
beforeAll(async () => {
  upstream = await startFakeUpstream();
});
afterAll(() => upstream.close());


describe('circuit breaker per deployment', () => {
  it('opens after consecutive failures, skips the deployment while open, and closes after a successful probe', async () => {
    let flaky = await startFakeUpstream();
    const flakyUrl = flaky.url;
    const port = Number(new URL(flakyUrl).port);
    const transitions: string[] = [];
    const changes: { from: BreakerState; to: BreakerState; cause: string | undefined }[] = [];
    const config = parseGatewayConfig({
      aliases: {
        'chat/default': {
          deployments: [
            { name: 'primary', provider: 'openai-compatible', baseUrl: flakyUrl, model: 'fake-primary', contextWindow: 8_000, prices: TEST_PRICES },
            { name: 'backup', provider: 'openai-compatible', baseUrl: upstream.url, model: 'fake-backup', contextWindow: 8_000, prices: TEST_PRICES },
          ],
        },
      },
    });
    const gateway = createGateway(config, {
      clock: createManualClock(),
      retry: { maxRetries: 0 },
      breaker: { halfOpenAfterMs: 200, rule: { consecutiveFailures: 2 } },
      onBreakerStateChange: (deployment, state, transition) => {
        transitions.push(`${deployment}:${state}`);
        changes.push({ from: transition.from, to: state, cause: transition.cause?.kind });
      },
    });
    const model = gateway.languageModel('chat/default');
    try {
      // The primary's server goes away: connections are refused.
      await flaky.close();
      const first = await model.generate(ask('one'));
      const second = await model.generate(ask('two'));
      expect([first.routing.chosen, second.routing.chosen]).toEqual(['backup', 'backup']);
      expect(second.routing.attempts[0]).toMatchObject({ deployment: 'primary', outcome: 'disconnected' });
      expect(transitions).toEqual(['primary:open']);

      const third = await model.generate(ask('three'));
      expect(third.routing.candidates[0]).toMatchObject({ deployment: 'primary', skipped: 'breaker-open' });
      expect(third.routing.attempts.map((attempt) => attempt.deployment)).toEqual(['backup']);

      flaky = await startFakeUpstream({ port });
      await sleep(250);
      const probe = await model.generate(ask('four'));
      expect(probe.routing.chosen).toBe('primary');
      expect(flaky.requests).toHaveLength(1);
      expect(transitions).toEqual(['primary:open', 'primary:half-open', 'primary:closed']);
      // Each change names the state it left; the opening names the failure that tripped it.
      expect(changes).toEqual([
        { from: 'closed', to: 'open', cause: 'disconnected' },
        { from: 'open', to: 'half-open', cause: undefined },
        { from: 'half-open', to: 'closed', cause: undefined },
      ]);
      expect(gateway.breakerStates()).toEqual({ primary: 'closed', backup: 'closed' });
    } finally {
      await flaky.close();
    }
  });

  it('reports a deployment whose breaker opened during its retries as the outage it is, not as a request too large', async () => {
    const config = parseGatewayConfig({ aliases: { 'chat/default': { deployments: [fakeDeployment(upstream, 'failing', scenario('status=500'))] } } });
    const gateway = createGateway(config, { clock: createManualClock(), retry: { maxRetries: 3 }, breaker: { halfOpenAfterMs: 60_000, rule: { consecutiveFailures: 2 } } });
    const error = await gateway.languageModel('chat/default').generate(ask('anyone?')).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(ModelCallError.isInstance(error) && error.kind).toBe('server');
    expect((error as Error).message).toContain('circuit breaker is open');
  });

  it('opens again when the probe fails', async () => {
    const states: BreakerState[] = [];
    const causes: string[] = [];
    const model = withCircuitBreaker(createOpenAiCompatibleModel({ baseUrl: upstream.url, apiKey: 'k', modelId: 'fake-fail-503' }), {
      halfOpenAfterMs: 100,
      rule: { consecutiveFailures: 1 },
      onStateChange: (state, _name, transition) => {
        states.push(state);
        if (state === 'open') causes.push(`${transition.from}:${transition.cause?.kind}`);
      },
    });
    await expect(model.generate(ask('a'))).rejects.toMatchObject({ kind: 'server' });
    await expect(model.generate(ask('b'))).rejects.toMatchObject({ name: 'CircuitOpenError', circuit: 'open' });
    await sleep(150);
    await expect(model.generate(ask('c'))).rejects.toMatchObject({ kind: 'server', details: { status: 503 } });
    expect(states).toEqual(['open', 'half-open', 'open']);
    expect(causes).toEqual(['closed:server', 'half-open:server']);
    expect(model.breakerState()).toBe('open');
  });

  it('sends other calls elsewhere while a half-open probe is in flight, instead of queueing them behind it', async () => {
    const model = withCircuitBreaker(createOpenAiCompatibleModel({ baseUrl: upstream.url, apiKey: 'k', modelId: 'fake-chat' }), {
      halfOpenAfterMs: 100,
      rule: { consecutiveFailures: 1 },
    });
    await expect(model.generate(ask('[[fake: status=500]]'))).rejects.toMatchObject({ kind: 'server' });
    await sleep(150);
    const probe = model.generate(ask('[[fake: delay=300]] slow probe'));
    const started = Date.now();
    await expect(model.generate(ask('meanwhile'))).rejects.toMatchObject({ name: 'CircuitOpenError', circuit: 'half-open' });
    expect(Date.now() - started).toBeLessThan(200);
    expect((await probe).text).toBe('echo: slow probe');
    expect(model.breakerState()).toBe('closed');
  });

  it('does not count the caller’s mistakes against the deployment', async () => {
    const model = withCircuitBreaker(createOpenAiCompatibleModel({ baseUrl: upstream.url, apiKey: 'k', modelId: 'fake-chat' }), {
      rule: { consecutiveFailures: 2 },
    });
    for (let call = 0; call < 3; call += 1) {
      const error: unknown = await model.generate(ask('[[fake: status=400]]')).catch((thrown: unknown) => thrown);
      expect(ModelCallError.isInstance(error) && error.kind).toBe('bad-request');
    }
    expect(model.breakerState()).toBe('closed');
  });

  it('counts a stream that breaks halfway as a failure, and opens on a failure rate with the sampling breaker', async () => {
    const model = withCircuitBreaker(createOpenAiCompatibleModel({ baseUrl: upstream.url, apiKey: 'k', modelId: 'fake-chat' }), {
      // Three calls in ten seconds are enough traffic to judge by.
      rule: { failureRate: 0.5, windowMs: 10_000, minimumCalls: 3 },
    });
    const consume = async (content: string) => {
      for await (const part of model.stream(ask(content))) void part;
    };
    await consume('fine');
    await expect(consume('[[fake: reply="a b c d" disconnect-after-chunks=2]]')).rejects.toMatchObject({ kind: 'disconnected' });
    expect(model.breakerState()).toBe('closed');
    await expect(consume('[[fake: reply="a b c d" disconnect-after-chunks=2]]')).rejects.toMatchObject({ kind: 'disconnected' });
    expect(model.breakerState()).toBe('open');
  });

  it('opens by default on a failure rate over a window: half the calls failing keeps it closed, more than half opens it', async () => {
    const model = withCircuitBreaker(createOpenAiCompatibleModel({ baseUrl: upstream.url, apiKey: 'k', modelId: 'fake-chat' }));
    const fail = () => expect(model.generate(ask('[[fake: status=500]]'))).rejects.toMatchObject({ kind: 'server' });
    // Never two failures in a row, which a consecutive-failure rule would wait for.
    for (let call = 0; call < 5; call += 1) {
      await model.generate(ask('fine'));
      await fail();
    }
    expect(model.breakerState()).toBe('closed');
    await fail();
    expect(model.breakerState()).toBe('open');
  });

  it('opens by default once a dead deployment has failed five calls, not before', async () => {
    const model = withCircuitBreaker(createOpenAiCompatibleModel({ baseUrl: upstream.url, apiKey: 'k', modelId: 'fake-fail-503' }));
    for (let call = 0; call < 4; call += 1) await expect(model.generate(ask('down'))).rejects.toMatchObject({ kind: 'server' });
    expect(model.breakerState()).toBe('closed');
    await expect(model.generate(ask('down'))).rejects.toMatchObject({ kind: 'server' });
    expect(model.breakerState()).toBe('open');
  });
});

describe('breakers configured in the gateway file', () => {
  it('gives a deployment its own breaker, and the others the file\'s', async () => {
    const config = parseGatewayConfig({
      breaker: { consecutiveFailures: 3 },
      aliases: {
        'chat/default': {
          deployments: [
            fakeDeployment(upstream, 'touchy', { ...scenario('status=500'), breaker: { consecutiveFailures: 1, halfOpenAfterMs: 60_000 } }),
            fakeDeployment(upstream, 'patient', scenario('status=500')),
            fakeDeployment(upstream, 'healthy'),
          ],
        },
      },
    });
    const gateway = createGateway(config, { clock: createManualClock(), retry: { maxRetries: 0 } });
    const model = gateway.languageModel('chat/default');
    expect((await model.generate(ask('one'))).routing.chosen).toBe('healthy');
    expect(gateway.breakerStates()).toMatchObject({ touchy: 'open', patient: 'closed' });
    await model.generate(ask('two'));
    expect(gateway.breakerStates()).toMatchObject({ patient: 'closed' });
    await model.generate(ask('three'));
    expect(gateway.breakerStates()).toMatchObject({ touchy: 'open', patient: 'open', healthy: 'closed' });
  });
});
