import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../support/fake-upstream/index.js';
import { writeGatewayFile } from '../support/gateway-file.js';
import { startTessera, type RunningTessera } from '../support/tessera-harness.js';
import { apiClient, poll, type ApiClient } from './tessera-api.js';
import { streamId } from '../../domain/shared/stream-id.js';
import { createPgliteEventStore } from '../../infra/event-store/sql/pglite-event-store.js';
import { openPglite } from '../../infra/sql/pglite.js';

/** A token costs a whole unit (1,000,000 micros) either way, so worst cases are easy to reason about. */
const PRICES = { inputPerMillion: 1_000_000, cachedInputPerMillion: 1_000_000, outputPerMillion: 1_000_000 };
const MAX_TOKENS = 20;

/**
 * Budgets around real model calls: every call holds its worst case before it goes out
 * and settles its price after, so concurrent calls never spend past a hard budget by
 * more than one worst case, and the refused ones are told what is left.
 */
describe('hard budgets around model calls (services profile)', () => {
  let upstream: FakeUpstream;
  let tessera: RunningTessera;
  let api: ApiClient;
  let client: OpenAI;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    const deployment = { name: 'metered', provider: 'openai-compatible' as const, baseUrl: upstream.url, apiKey: 'k', model: 'fake-metered', contextWindow: 100_000, prices: PRICES };
    tessera = await startTessera('services', { TESSERA_GATEWAY_CONFIG_FILE: writeGatewayFile({ aliases: { 'chat/default': { deployments: [deployment] } } }) });
    api = apiClient(tessera);
    client = new OpenAI({ baseURL: `${tessera.url}/v1`, apiKey: tessera.tenant.key, maxRetries: 0 });
  });
  afterAll(async () => {
    await tessera?.close();
    await upstream?.close();
  });

  const budgetHolds = () => budgetHoldsOf(tessera);
  const ask = (content: string) =>
    client.chat.completions.create({ model: 'chat/default', messages: [{ role: 'user', content }], max_tokens: MAX_TOKENS }).then(
      (completion) => ({ ok: true as const, completion }),
      (error: unknown) => ({ ok: false as const, error: error as InstanceType<typeof OpenAI.APIError> }),
    );

  it('lets 20 concurrent calls hold no more than the limit, refusing the rest with 429 insufficient_quota, as OpenAI answers spent quota, and what is left', async () => {
    const limitMicros = 200_000_000;
    const set = await api.request('PUT', '/v1/budgets', { body: { scope: 'tenant', period: 'daily', limitMicros, enforcement: 'hard' } });
    expect(set.status).toBe(200);

    const results = await Promise.all(Array.from({ length: 20 }, (_, index) => ask(`How much is call ${index}? [[fake: reply="About this much." delay=50]]`)));
    const accepted = results.filter((result) => result.ok);
    const refused = results.filter((result) => !result.ok);
    const holds = await budgetHolds();
    const worstCase = Math.min(...holds.map((hold) => hold.worstCaseMicros));
    expect(worstCase).toBeGreaterThan(MAX_TOKENS * 1_000_000);
    // Only calls that got a hold went out; holds are worst cases, so spend stays within the limit.
    expect(holds).toHaveLength(accepted.length);
    expect(accepted.length).toBeGreaterThanOrEqual(1);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    for (const result of refused) {
      expect(result.ok ? undefined : result.error).toBeInstanceOf(OpenAI.RateLimitError);
      expect(result.ok ? undefined : (result.error.error as { type?: string }).type).toBe('insufficient_quota');
    }
    const spent = accepted.reduce((sum, result) => sum + (result.ok ? costOf(result.completion) : 0), 0);
    expect(spent).toBeLessThanOrEqual(limitMicros + worstCase);

    const standing = await poll(
      async () => (await api.request<{ budgets: { remainingMicros: number; spentMicros: number; reservedMicros: number }[] }>('GET', '/v1/budgets')).body.budgets[0]!,
      (budget) => budget.reservedMicros === 0,
      5_000,
      'every hold to be settled',
    );
    expect(standing.spentMicros).toBe(spent);
    expect(standing.remainingMicros).toBe(limitMicros - spent);
  });

  const rawCompletion = () =>
    fetch(`${tessera.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tessera.tenant.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chat/default', messages: [{ role: 'user', content: 'One more? [[fake: reply="no"]]' }], max_tokens: MAX_TOKENS }),
    });

  async function setLimitAboveSpend(headroomMicros: number): Promise<number> {
    const { body } = await api.request<{ budgets: { spentMicros: number; reservedMicros: number }[] }>('GET', '/v1/budgets');
    const limitMicros = body.budgets[0]!.spentMicros + headroomMicros;
    expect((await api.request('PUT', '/v1/budgets', { body: { scope: 'tenant', period: 'daily', limitMicros, enforcement: 'hard' } })).status).toBe(200);
    return limitMicros;
  }

  it('refuses a call whose worst case does not fit what is left, before it reaches the model, saying how much is left', async () => {
    const worstCase = Math.min(...(await budgetHolds()).map((hold) => hold.worstCaseMicros));
    const limitMicros = await setLimitAboveSpend(Math.floor(worstCase / 2));
    const before = upstream.requests.length;
    const response = await rawCompletion();
    const problem = (await response.json()) as { code: string; remainingMicros: number; limitMicros: number; requestedMicros: number };
    expect(response.status).toBe(429);
    expect(response.headers.get('x-should-retry')).toBe('false');
    expect(response.headers.get('content-type')).toMatch(/problem\+json/);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(problem).toMatchObject({ code: 'TESSERA_BUDGET_EXHAUSTED', limitMicros, remainingMicros: Math.floor(worstCase / 2) });
    expect(problem.requestedMicros).toBeGreaterThan(problem.remainingMicros);
    expect(upstream.requests.length).toBe(before);
  });

  it('refuses at once, recording no turn, when nothing at all is left', async () => {
    await setLimitAboveSpend(0);
    const before = upstream.requests.length;
    const response = await rawCompletion();
    expect(response.status).toBe(429);
    expect(response.headers.get('x-tessera-turn-id')).toBeNull();
    expect(await response.json()).toMatchObject({ code: 'TESSERA_BUDGET_EXHAUSTED', remainingMicros: 0 });
    expect(upstream.requests.length).toBe(before);
  });
});

/**
 * A settlement waits (TESSERA_BUDGET_SETTLE_LINGER_MS) to join the window's next hold,
 * and holds are taken ahead of the calls they will serve (TESSERA_BUDGET_HOLDS_AHEAD);
 * a process that stops first must still settle the one and release the others, or they
 * would stand for the rest of the window.
 */
describe('budget events still owed when the process stops (embedded, on a data directory)', () => {
  /** One completion on a fresh data directory; `whileRunning` reads the log before shutdown, and the log is returned as a new process finds it. */
  async function afterOneCompletion(
    settings: Record<string, string>,
    limitMicros: number,
    whileRunning: (tessera: RunningTessera, window: ReturnType<typeof streamId>) => Promise<void>,
  ) {
    const upstream = await startFakeUpstream();
    const directory = mkdtempSync(join(tmpdir(), 'tessera-budget-shutdown-'));
    const file = join(directory, 'gateway.json');
    const deployment = { name: 'metered', provider: 'openai-compatible' as const, baseUrl: upstream.url, apiKey: 'k', model: 'fake-metered', contextWindow: 100_000, prices: PRICES };
    writeFileSync(file, JSON.stringify({ aliases: { 'chat/default': { deployments: [deployment] } } }));
    const tessera = await startTessera('embedded', { TESSERA_DATA_DIR: directory, TESSERA_GATEWAY_CONFIG_FILE: file, ...settings });
    const window = streamId('budget', `${tessera.tenant.id}.tenant.${new Date().toISOString().slice(0, 10)}`);
    try {
      expect((await apiClient(tessera).request('PUT', '/v1/budgets', { body: { scope: 'tenant', period: 'daily', limitMicros, enforcement: 'hard' } })).status).toBe(200);
      const client = new OpenAI({ baseURL: `${tessera.url}/v1`, apiKey: tessera.tenant.key, maxRetries: 0 });
      await client.chat.completions.create({ model: 'chat/default', messages: [{ role: 'user', content: 'Cost? [[fake: reply="Some."]]' }], max_tokens: MAX_TOKENS });
      await whileRunning(tessera, window);
    } finally {
      await tessera.close();
      await upstream.close();
    }
    const store = createPgliteEventStore(await openPglite(join(directory, 'pglite')), { ownsDatabase: true });
    try {
      return (await store.readStream(window)).events;
    } finally {
      await store.close();
    }
  }

  it('writes a settlement still waiting', async () => {
    const events = await afterOneCompletion({ TESSERA_BUDGET_SETTLE_LINGER_MS: '10000', TESSERA_BUDGET_HOLDS_AHEAD: '0' }, 1_000_000_000, async (tessera, window) => {
      // Read from the log, not through the budgets (a read there would write it): the settlement still waits.
      expect((await tessera.backend.store.readStream(window)).events.map((event) => event.type)).toEqual(['BudgetReserved']);
    });
    expect(events.map((event) => event.type)).toEqual(['BudgetReserved', 'BudgetSettled']);
  });

  it('releases the holds taken ahead that no call used', async () => {
    const events = await afterOneCompletion({ TESSERA_BUDGET_HOLDS_AHEAD: '2' }, 100_000_000_000, async (tessera, window) => {
      await poll(
        async () => (await tessera.backend.store.readStream(window)).events.filter((event) => event.type === 'BudgetReserved').length,
        (held) => held === 3,
        5_000,
        "the call's own hold and two taken ahead",
      );
    });
    const reserved = events.filter((event) => event.type === 'BudgetReserved').map((event) => (event.data as { reservationId: string }).reservationId);
    const settled = events.filter((event) => event.type === 'BudgetSettled').map((event) => event.data as { reservationId: string; actualMicros: number });
    expect(reserved).toHaveLength(3);
    expect(new Set(settled.map((data) => data.reservationId))).toEqual(new Set(reserved));
    expect(settled.filter((data) => data.actualMicros === 0)).toHaveLength(2);
  });
});

async function budgetHoldsOf(tessera: RunningTessera): Promise<{ callId: string; worstCaseMicros: number }[]> {
  const window = new Date().toISOString().slice(0, 10);
  const { events } = await tessera.backend.store.readStream(streamId('budget', `${tessera.tenant.id}.tenant.${window}`));
  return events.filter((event) => event.type === 'BudgetReserved').map((event) => event.data as { callId: string; worstCaseMicros: number });
}

function costOf(completion: OpenAI.Chat.Completions.ChatCompletion): number {
  return (completion.usage!.prompt_tokens + completion.usage!.completion_tokens) * 1_000_000;
}
