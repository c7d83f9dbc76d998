import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePrometheusText, sampleValue } from '../../infra/telemetry/prometheus-test-helpers.js';
import { apiClient } from '../../test/e2e/tessera-api.js';
import { startFakeUpstream, type FakeUpstream } from '../../test/support/fake-upstream/index.js';
import { startTessera, type RunningTessera } from '../../test/support/tessera-harness.js';

const prices = { inputPerMillion: 1, cachedInputPerMillion: 0.5, outputPerMillion: 2 };

describe('GET /metrics', () => {
  let upstream: FakeUpstream;
  let tessera: RunningTessera;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    const file = join(mkdtempSync(join(tmpdir(), 'tessera-metrics-')), 'gateway.json');
    const deployment = { name: 'primary', provider: 'openai-compatible', baseUrl: upstream.url, apiKey: 'k', model: 'fake-primary', contextWindow: 100_000, prices };
    writeFileSync(file, JSON.stringify({ aliases: { 'chat/default': { deployments: [deployment] } } }));
    tessera = await startTessera('embedded', { TESSERA_GATEWAY_CONFIG_FILE: file });
  });
  afterAll(async () => {
    await tessera?.close();
    await upstream?.close();
  });

  it('answers without an API key, in the Prometheus text format, with the gateway’s figures after a turn', async () => {
    const api = apiClient(tessera);
    const turn = await api.waitForTurn(await api.sendTurn(await api.startConversation(), 'Hello [[fake: reply="Hi."]]'));
    expect(turn.status).toBe('completed');

    const response = await api.request<string>('GET', '/metrics', { key: null });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(response.body).toContain('# TYPE tessera_gateway_attempts_total counter');
    expect(parsePrometheusText(response.body).length).toBeGreaterThan(0);
    expect(sampleValue(response.body, 'tessera_gateway_attempts_total', { deployment: 'primary', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(response.body, 'tessera_gateway_breaker_state', { deployment: 'primary' })).toBe(0);
  });

  it('is not served when TESSERA_METRICS_ENABLED is false', async () => {
    const quiet = await startTessera('embedded', { TESSERA_METRICS_ENABLED: 'false' });
    try {
      const response = await apiClient(quiet).request('GET', '/metrics', { key: null });
      expect(response.status).toBe(404);
    } finally {
      await quiet.close();
    }
  });
});
