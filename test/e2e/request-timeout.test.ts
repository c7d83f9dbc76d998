import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayFixture, type GatewayFixture } from '../support/gateway-file.js';
import { expectProblem } from './tessera-api.js';

const REQUEST_TIMEOUT_MS = 1_000;
const PRICES = { inputPerMillion: 1, cachedInputPerMillion: 1, outputPerMillion: 1 };

/** TESSERA_HTTP_REQUEST_TIMEOUT_MS bounds the handling of a request, not only its arrival. */
describe('a request that outlives TESSERA_HTTP_REQUEST_TIMEOUT_MS', () => {
  let fixture: GatewayFixture;
  beforeAll(async () => {
    fixture = await startGatewayFixture(
      'embedded',
      (upstream) => {
        const deployment = (name: string, model: string) => ({ name, provider: 'openai-compatible' as const, baseUrl: upstream.url, apiKey: 'k', model, contextWindow: 8_191, prices: PRICES });
        return { aliases: { 'chat/default': { deployments: [deployment('chat', 'fake-chat')] }, 'embed/default': { deployments: [deployment('embed', 'fake-embed')] } } };
      },
      { environment: { TESSERA_HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) } },
    );
  });
  afterAll(() => fixture.close());

  it('is answered 504 problem+json a moment after the timeout, while a quick one is answered as usual', async () => {
    const call = (input: string) =>
      fetch(`${fixture.tessera.url}/v1/embeddings`, {
        method: 'POST',
        headers: { authorization: `Bearer ${fixture.tessera.tenant.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'embed/default', input }),
      });
    const started = Date.now();
    const slow = await call('slow [[fake: delay=6000]]');
    const waited = Date.now() - started;
    expectProblem({ status: slow.status, headers: slow.headers, body: await slow.json() }, 504, 'TESSERA_REQUEST_TIMEOUT');
    expect(slow.headers.get('x-should-retry')).toBe('false');
    // The call it started is named, so the client can find how it ended.
    expect(slow.headers.get('x-tessera-embedding-call-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(waited).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS);
    expect(waited).toBeLessThan(REQUEST_TIMEOUT_MS + 3_000);
    expect((await call('quick')).status).toBe(200);
  });

  it('names the turn a late chat completion started, so the client can follow it instead of paying again', async () => {
    const late = await fetch(`${fixture.tessera.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fixture.tessera.tenant.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chat/default', messages: [{ role: 'user', content: 'take long [[fake: delay=4000]]' }] }),
    });
    expectProblem({ status: late.status, headers: late.headers, body: await late.json() }, 504, 'TESSERA_REQUEST_TIMEOUT');
    // An SDK would otherwise retry the 5xx and start the same work again.
    expect(late.headers.get('x-should-retry')).toBe('false');
    expect(late.headers.get('x-tessera-turn-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});
