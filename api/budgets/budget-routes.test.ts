import Fastify, { type FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseApiKey } from '../../commands/api-key-secret.js';
import { issueApiKey } from '../../commands/tenants.js';
import { streamId } from '../../domain/shared/stream-id.js';
import { createBudgetGuard } from '../../gateway/budgets/index.js';
import { apiKeysProjection } from '../../projections/api-keys/api-keys.projection.js';
import { catchUpProjection } from '../../projections/index.js';
import { apiClient, expectProblem, type ApiClient } from '../../test/e2e/tessera-api.js';
import { startTessera, type RunningTessera } from '../../test/support/tessera-harness.js';
import { tesseraApi } from '../app.js';
import { createApiKeyAuthenticator } from '../auth/api-key-authenticator.js';

interface BudgetView {
  scope: string;
  keyId?: string;
  period: string;
  limitMicros: number;
  enforcement: string;
  window: string;
  resetsAt: string;
  spentMicros: number;
  reservedMicros: number;
  remainingMicros: number;
}

describe('budgets over HTTP (embedded profile)', () => {
  let tessera: RunningTessera;
  let api: ApiClient;
  let keyId: string;
  /** The API plugin with one extra route that reserves like the model-call step will. */
  let probe: FastifyInstance;

  beforeAll(async () => {
    tessera = await startTessera('embedded');
    api = apiClient(tessera);
    keyId = parseApiKey(tessera.tenant.key)!.keyId;
    const guard = createBudgetGuard({ store: tessera.backend.store });
    probe = Fastify();
    await probe.register(tesseraApi, {
      version: 'test',
      authenticate: createApiKeyAuthenticator(tessera.backend.readModels),
      routes: [
        (scope) => {
          scope.withTypeProvider<ZodTypeProvider>().post(
            '/probe/calls',
            { schema: { body: z.object({ callId: z.string(), worstCaseMicros: z.number() }) } },
            async (request) => {
              const { tenantId, keyId: callerKeyId } = request.principal;
              await guard.reserve({ tenantId, keyId: callerKeyId, ...request.body, now: new Date() });
              return { reserved: true };
            },
          );
        },
      ],
    });
  });
  afterAll(async () => {
    await probe?.close();
    await tessera?.close();
  });

  const budgetSets = async (tenantId = tessera.tenant.id) =>
    (await tessera.backend.store.readStream(streamId('tenant', tenantId))).events.filter((event) => event.type === 'BudgetSet').length;

  it('sets a tenant budget and reports the current window of it', async () => {
    const response = await api.request<BudgetView>('PUT', '/v1/budgets', {
      body: { scope: 'tenant', period: 'monthly', limitMicros: 50_000_000, enforcement: 'soft' },
    });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    const month = new Date().toISOString().slice(0, 7);
    expect(response.body).toMatchObject({ scope: 'tenant', period: 'monthly', window: month, limitMicros: 50_000_000, spentMicros: 0, remainingMicros: 50_000_000 });
    expect(Date.parse(response.body.resetsAt)).toBeGreaterThan(Date.now());
  });

  it("sets a budget for one of the tenant's keys and lists it after the tenant's", async () => {
    const response = await api.request('PUT', '/v1/budgets', {
      body: { scope: 'key', keyId, period: 'daily', limitMicros: 3_000, enforcement: 'hard' },
    });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    const listed = await api.request<{ budgets: BudgetView[] }>('GET', '/v1/budgets');
    expect(listed.status).toBe(200);
    expect(listed.body.budgets.map((budget) => [budget.scope, budget.keyId, budget.period])).toEqual([
      ['tenant', undefined, 'monthly'],
      ['key', keyId, 'daily'],
    ]);
  });

  it('records nothing when the same budget is set again', async () => {
    const before = await budgetSets();
    const response = await api.request('PUT', '/v1/budgets', {
      body: { scope: 'key', keyId, period: 'daily', limitMicros: 3_000, enforcement: 'hard' },
    });
    expect(response.status).toBe(200);
    expect(await budgetSets()).toBe(before);
  });

  it.each([
    ['no scope', { period: 'daily', limitMicros: 1, enforcement: 'hard' }, 'body.scope'],
    ['a fractional limit', { scope: 'tenant', period: 'daily', limitMicros: 1.5, enforcement: 'hard' }, 'body.limitMicros'],
    ['a negative limit', { scope: 'tenant', period: 'daily', limitMicros: -1, enforcement: 'hard' }, 'body.limitMicros'],
    ['a weekly period', { scope: 'tenant', period: 'weekly', limitMicros: 1, enforcement: 'hard' }, 'body.period'],
    ['a key budget without keyId', { scope: 'key', period: 'daily', limitMicros: 1, enforcement: 'hard' }, 'body.keyId'],
    ['a tenant budget with keyId', { scope: 'tenant', keyId: 'abc', period: 'daily', limitMicros: 1, enforcement: 'hard' }, 'body.keyId'],
  ])('refuses %s with 400 naming the field, recording nothing', async (_name, body, field) => {
    const before = await budgetSets();
    expectProblem(await api.request('PUT', '/v1/budgets', { body }), 400, 'TESSERA_INVALID_REQUEST', field);
    expect(await budgetSets()).toBe(before);
  });

  it("refuses a budget for another tenant's key with 422 naming body.keyId", async () => {
    const otherKeyId = parseApiKey(tessera.otherTenant.key)!.keyId;
    const before = await budgetSets();
    const response = await api.request('PUT', '/v1/budgets', {
      body: { scope: 'key', keyId: otherKeyId, period: 'daily', limitMicros: 1, enforcement: 'hard' },
    });
    expectProblem(response, 422, 'TESSERA_BUDGET_KEY_NOT_USABLE', 'body.keyId');
    expect(await budgetSets()).toBe(before);
  });

  it('shows a tenant only its own budgets', async () => {
    const listed = await apiClient(tessera, tessera.otherTenant.key).request<{ budgets: BudgetView[] }>('GET', '/v1/budgets');
    expect(listed.body).toEqual({ budgets: [] });
  });

  it('refuses to let a key without the budgets:write scope set budgets', async () => {
    const issued = await issueApiKey(tessera.backend.store, { tenantId: tessera.tenant.id, name: 'turns only', scopes: ['turns:write'], actor: 'test' });
    await catchUpProjection(tessera.backend.readModels, tessera.backend.store, apiKeysProjection);
    const response = await api.request('PUT', '/v1/budgets', {
      key: issued.key,
      body: { scope: 'tenant', period: 'daily', limitMicros: 1, enforcement: 'hard' },
    });
    expectProblem(response, 403, 'TESSERA_FORBIDDEN');
    expect((await api.request('GET', '/v1/budgets', { key: issued.key })).status).toBe(200);
  });

  it('documents both routes in the OpenAPI document, the body with its fields', async () => {
    const document = (await (await fetch(`${tessera.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { properties?: object; required?: string[] } }> } }>>;
    };
    const put = document.paths['/v1/budgets']?.put?.requestBody?.content['application/json']?.schema;
    expect(Object.keys(put?.properties ?? {}).sort()).toEqual(['enforcement', 'keyId', 'limitMicros', 'period', 'scope']);
    expect(put?.required?.sort()).toEqual(['enforcement', 'limitMicros', 'period', 'scope']);
    expect(document.paths['/v1/budgets']?.get).toBeDefined();
  });

  it('answers a call that a hard budget cannot hold with 402, what is left, when it resets and Retry-After', async () => {
    const set = await api.request('PUT', '/v1/budgets', { body: { scope: 'key', keyId, period: 'daily', limitMicros: 3_000, enforcement: 'hard' } });
    expect(set.status).toBe(200);
    const accepted = await probe.inject({
      method: 'POST',
      url: '/probe/calls',
      headers: { authorization: `Bearer ${tessera.tenant.key}` },
      payload: { callId: 'probe-1', worstCaseMicros: 2_000 },
    });
    expect(accepted.statusCode, accepted.body).toBe(200);
    const listed = await api.request<{ budgets: BudgetView[] }>('GET', '/v1/budgets');
    expect(listed.body.budgets.find((budget) => budget.scope === 'key')).toMatchObject({ reservedMicros: 2_000, remainingMicros: 1_000 });

    const refused = await probe.inject({
      method: 'POST',
      url: '/probe/calls',
      headers: { authorization: `Bearer ${tessera.tenant.key}` },
      payload: { callId: 'probe-2', worstCaseMicros: 1_001 },
    });
    expect(refused.statusCode).toBe(402);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    const tomorrow = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate() + 1));
    expect(refused.json()).toMatchObject({
      status: 402,
      title: 'Payment Required',
      code: 'TESSERA_BUDGET_EXHAUSTED',
      type: 'https://tessera.dev/problems/budget-exhausted',
      remainingMicros: 1_000,
      limitMicros: 3_000,
      requestedMicros: 1_001,
      resetsAt: tomorrow.toISOString(),
      scope: 'key',
      keyId,
      period: 'daily',
      error: { type: 'insufficient_quota', code: 'insufficient_quota' },
    });
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(Math.abs(retryAfter - (tomorrow.getTime() - Date.now()) / 1_000)).toBeLessThan(5);
  });
});
