import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createManualClock } from '../../gateway/resilience/clock.js';
import { createGateway } from '../../gateway/resilience/create-gateway.js';
import { ask, fakeDeployment } from '../../gateway/resilience/gateway-test-helpers.js';
import { parseGatewayConfig } from '../../gateway/routing/deployments.js';
import { startFakeUpstream, type FakeUpstream } from '../../test/support/fake-upstream/index.js';
import { createGatewayMetrics } from './gateway-metrics.js';
import { createPrometheusMetrics, type PrometheusMetrics } from './prometheus-metrics.js';
import { sampleValue } from './prometheus-test-helpers.js';

let metrics: PrometheusMetrics;
afterEach(() => metrics.shutdown());

describe('gateway metrics', () => {
  it('counts each transition by the state entered and shows the latest state as a number', async () => {
    metrics = createPrometheusMetrics();
    const gateway = createGatewayMetrics(metrics.meter('tessera-gateway'));
    gateway.breakerStateChanged('primary', 'open');
    gateway.breakerStateChanged('primary', 'half-open');
    gateway.breakerStateChanged('primary', 'open');
    gateway.breakerStateChanged('backup', 'isolated');

    const text = await metrics.scrape();
    expect(sampleValue(text, 'tessera_gateway_breaker_transitions_total', { deployment: 'primary', to: 'open' })).toBe(2);
    expect(sampleValue(text, 'tessera_gateway_breaker_transitions_total', { deployment: 'primary', to: 'half-open' })).toBe(1);
    expect(sampleValue(text, 'tessera_gateway_breaker_state', { deployment: 'primary' })).toBe(2);
    expect(sampleValue(text, 'tessera_gateway_breaker_state', { deployment: 'backup' })).toBe(2);
    expect(text).toContain('# TYPE tessera_gateway_breaker_state gauge');
    expect(text).toContain('# TYPE tessera_gateway_breaker_transitions_total counter');
  });

  it('shows a deployment that has only been called as closed, and counts retries apart from attempts', async () => {
    metrics = createPrometheusMetrics();
    const gateway = createGatewayMetrics(metrics.meter('tessera-gateway'));
    gateway.attempted('primary', { outcome: 'rate-limited', retryDelayMs: 500 });
    gateway.attempted('primary', { outcome: 'ok' });

    const text = await metrics.scrape();
    expect(sampleValue(text, 'tessera_gateway_breaker_state', { deployment: 'primary' })).toBe(0);
    expect(sampleValue(text, 'tessera_gateway_attempts_total', { deployment: 'primary', outcome: 'rate-limited' })).toBe(1);
    expect(sampleValue(text, 'tessera_gateway_attempts_total', { deployment: 'primary', outcome: 'ok' })).toBe(1);
    expect(sampleValue(text, 'tessera_gateway_retries_total', { deployment: 'primary' })).toBe(1);
    expect(sampleValue(text, 'tessera_gateway_breaker_state', { deployment: 'never-called' })).toBeUndefined();
  });

  it('keeps the counts of separate instances apart', async () => {
    metrics = createPrometheusMetrics();
    const other = createPrometheusMetrics();
    try {
      createGatewayMetrics(metrics.meter('tessera-gateway')).breakerStateChanged('primary', 'open');
      createGatewayMetrics(other.meter('tessera-gateway'));
      expect(sampleValue(await other.scrape(), 'tessera_gateway_breaker_transitions_total', { deployment: 'primary', to: 'open' })).toBeUndefined();
    } finally {
      await other.shutdown();
    }
  });
});

describe('a gateway breaker in the Prometheus exposition', () => {
  let upstream: FakeUpstream;
  beforeAll(async () => {
    upstream = await startFakeUpstream();
  });
  afterAll(() => upstream.close());

  it('shows the breaker opening on a failing upstream, probing half-open, and closing, with the attempts behind it', async () => {
    metrics = createPrometheusMetrics();
    const gatewayMetrics = createGatewayMetrics(metrics.meter('tessera-gateway'));
    const gateway = createGateway(parseGatewayConfig({ aliases: { 'chat/default': { deployments: [fakeDeployment(upstream, 'primary')] } } }), {
      clock: createManualClock(),
      retry: { maxRetries: 1 },
      breaker: { halfOpenAfterMs: 100, rule: { consecutiveFailures: 2 } },
      onBreakerStateChange: gatewayMetrics.breakerStateChanged,
      onAttempt: gatewayMetrics.attempted,
    });
    const model = gateway.languageModel('chat/default');
    const breakerState = async () => sampleValue(await metrics.scrape(), 'tessera_gateway_breaker_state', { deployment: 'primary' });
    const transitionsTo = async (to: string) =>
      sampleValue(await metrics.scrape(), 'tessera_gateway_breaker_transitions_total', { deployment: 'primary', to });

    // Two 500s in a row, the second one a retry: the breaker opens.
    await expect(model.generate(ask('[[fake: status=500]]'))).rejects.toMatchObject({ kind: 'server' });
    const opened = await metrics.scrape();
    expect(sampleValue(opened, 'tessera_gateway_breaker_state', { deployment: 'primary' })).toBe(2);
    expect(sampleValue(opened, 'tessera_gateway_breaker_transitions_total', { deployment: 'primary', to: 'open' })).toBe(1);
    expect(sampleValue(opened, 'tessera_gateway_attempts_total', { deployment: 'primary', outcome: 'server' })).toBe(2);
    expect(sampleValue(opened, 'tessera_gateway_retries_total', { deployment: 'primary' })).toBe(1);

    // Refused by the open breaker: no attempt reached the upstream.
    await expect(model.generate(ask('while open'))).rejects.toMatchObject({
      routing: { candidates: [{ deployment: 'primary', skipped: 'breaker-open' }] },
    });
    expect(sampleValue(await metrics.scrape(), 'tessera_gateway_attempts_total', { deployment: 'primary', outcome: 'server' })).toBe(2);

    await sleep(150);
    const probe = model.generate(ask('[[fake: delay=300]] probe'));
    await vi.waitFor(async () => expect(await breakerState()).toBe(1), { timeout: 250, interval: 10 });
    expect(await transitionsTo('half-open')).toBe(1);
    expect((await probe).routing.chosen).toBe('primary');

    const closed = await metrics.scrape();
    expect(sampleValue(closed, 'tessera_gateway_breaker_state', { deployment: 'primary' })).toBe(0);
    expect(sampleValue(closed, 'tessera_gateway_breaker_transitions_total', { deployment: 'primary', to: 'closed' })).toBe(1);
    expect(sampleValue(closed, 'tessera_gateway_breaker_transitions_total', { deployment: 'primary', to: 'open' })).toBe(1);
    expect(sampleValue(closed, 'tessera_gateway_attempts_total', { deployment: 'primary', outcome: 'ok' })).toBe(1);
  });
});
