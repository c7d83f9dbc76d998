import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { costMicrosOf } from '../../gateway/routing/index.js';
import { startFakeUpstream, type FakeUpstream } from '../support/fake-upstream/index.js';
import { chatRequestSchema, lastUserText } from '../support/fake-upstream/chat-request.js';
import { composeCompletion } from '../support/fake-upstream/fake-completion.js';
import { resolveScenario } from '../support/fake-upstream/fake-scenario.js';
import { startTessera, type RunningTessera } from '../support/tessera-harness.js';
import { apiClient, expectProblem, poll, type ApiClient } from './tessera-api.js';

/** Two aliases on two deployments at different prices, so cost must follow the deployment. */
const DEPLOYMENTS = {
  main: { alias: 'chat/default', model: 'fake-chat', prices: { inputPerMillion: 2.5, cachedInputPerMillion: 1.25, outputPerMillion: 10 } },
  budget: { alias: 'chat/cheap', model: 'fake-mini', prices: { inputPerMillion: 0.15, cachedInputPerMillion: 0.075, outputPerMillion: 0.6 } },
} as const;

type Amounts = Record<'calls' | 'cachedCalls' | 'inputTokens' | 'cachedInputTokens' | 'outputTokens' | 'costMicros', number>;

interface UsageReport {
  object: 'list';
  from: string;
  to: string;
  groupBy: string[];
  data: (Amounts & Record<string, string | null | number>)[];
  totals: Amounts;
}

const ZERO: Amounts = { calls: 0, cachedCalls: 0, inputTokens: 0, cachedInputTokens: 0, outputTokens: 0, costMicros: 0 };

/** Ledger tests: what `GET /v1/usage` reports is what the provider reported, priced as configured. */
describe.each(['embedded', 'services'] as const)('GET /v1/usage over the cost ledger (%s profile)', (profile) => {
  let upstream: FakeUpstream;
  let tessera: RunningTessera;
  let api: ApiClient;
  let client: OpenAI;

  /**
   * The usage the fake upstream reported, call by call and by deployment: each recorded
   * request is answered again by the fake's own composer, which is deterministic.
   */
  function reportedUsage(): Record<keyof typeof DEPLOYMENTS, Amounts> {
    const sums = { main: { ...ZERO }, budget: { ...ZERO } };
    for (const recorded of upstream.requests.filter((request) => request.path === '/v1/chat/completions')) {
      const body = chatRequestSchema.parse(recorded.body);
      const scenario = resolveScenario({ model: body.model, texts: [lastUserText(body)], header: recorded.headers['x-fake-scenario'] });
      const { usage } = composeCompletion(body, scenario, 0);
      const name = body.model === DEPLOYMENTS.main.model ? 'main' : 'budget';
      const tokens = { inputTokens: usage.prompt_tokens, cachedInputTokens: usage.prompt_tokens_details.cached_tokens, outputTokens: usage.completion_tokens };
      const sum = sums[name];
      sum.calls += 1;
      sum.inputTokens += tokens.inputTokens;
      sum.cachedInputTokens += tokens.cachedInputTokens;
      sum.outputTokens += tokens.outputTokens;
      sum.costMicros += costMicrosOf(DEPLOYMENTS[name].prices, tokens);
    }
    return sums;
  }

  const usage = (query = '', key?: string) => api.request<UsageReport>('GET', `/v1/usage${query}`, key === undefined ? {} : { key });

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    const file = join(mkdtempSync(join(tmpdir(), 'tessera-usage-')), 'gateway.json');
    const aliases = Object.fromEntries(
      Object.entries(DEPLOYMENTS).map(([name, deployment]) => [
        deployment.alias,
        { deployments: [{ name, provider: 'openai-compatible', baseUrl: upstream.url, apiKey: 'k', model: deployment.model, contextWindow: 100_000, prices: deployment.prices }] },
      ]),
    );
    writeFileSync(file, JSON.stringify({ aliases }));
    tessera = await startTessera(profile, { TESSERA_GATEWAY_CONFIG_FILE: file });
    api = apiClient(tessera);
    client = new OpenAI({ baseURL: `${tessera.url}/v1`, apiKey: tessera.tenant.key, maxRetries: 0 });

    const tagged = (feature?: string) => (feature ? { headers: { 'x-tessera-feature': feature } } : {});
    const ask = (model: string, content: string, feature?: string, user?: string) =>
      client.chat.completions.create({ model, messages: [{ role: 'user', content }], user }, tagged(feature));
    const askStreaming = async (model: string, content: string, feature?: string) => {
      const stream = await client.chat.completions.create({
        model,
        messages: [{ role: 'user', content }],
        stream: true,
        stream_options: { include_usage: true },
      }, tagged(feature));
      let usageSeen = false;
      for await (const chunk of stream) usageSeen ||= chunk.usage !== undefined && chunk.usage !== null;
      expect(usageSeen).toBe(true);
    };
    await ask('chat/default', 'What is a ledger? [[fake: reply="A book of accounts."]]');
    await ask('chat/default', 'And a journal? [[fake: reply="The book of original entry, kept by date." cached-tokens=6]]');
    await askStreaming('chat/default', 'Stream me a long answer [[fake: reply="one two three four five six seven eight nine ten"]]');
    await ask('chat/cheap', 'Short one [[fake: reply="ok"]]', 'summarize', 'alice');
    await askStreaming('chat/cheap', 'Short stream, mostly cached [[fake: reply="fine then" cached-tokens=9]]', 'summarize');
  });
  afterAll(async () => {
    await tessera.close();
    await upstream.close();
  });

  /** The ledger is a projection: it catches up shortly after the calls. */
  const settled = (query = '') =>
    poll(
      async () => (await usage(query)).body,
      (report) => report.totals?.calls === 5,
      15_000,
      'the cost ledger to count all five calls',
    );

  it('totals exactly the usage the provider reported, streamed calls included, priced by deployment', async () => {
    const reported = reportedUsage();
    expect(reported.main.calls + reported.budget.calls).toBe(5);
    expect(reported.main.cachedInputTokens).toBeGreaterThan(0);
    expect(reported.main.costMicros).toBeGreaterThan(0);

    const report = await settled();
    const all = { ...ZERO };
    for (const amounts of Object.values(reported)) for (const name of Object.keys(all) as (keyof Amounts)[]) all[name] += amounts[name];
    expect(report.totals).toEqual(all);
    expect(report.data).toEqual([all]);
    expect(report.groupBy).toEqual([]);
    const today = new Date().toISOString().slice(0, 10);
    expect(report.to).toBe(today);
    expect(report.from).toBe(new Date(Date.now() - 29 * 86_400_000).toISOString().slice(0, 10));
  });

  it('groups by deployment and model, each group priced at its own deployment', async () => {
    const reported = reportedUsage();
    const report = await settled('?groupBy=deployment,model');
    expect(report.groupBy).toEqual(['deployment', 'model']);
    expect(report.data).toEqual([
      { deployment: 'budget', model: DEPLOYMENTS.budget.model, ...reported.budget },
      { deployment: 'main', model: DEPLOYMENTS.main.model, ...reported.main },
    ]);
  });

  it('groups by user, feature and day, and filters by deployment', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const byDay = await settled('?groupBy=day,user,feature');
    expect(byDay.data).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ day: today, user: null, feature: null, calls: 3 }),
        expect.objectContaining({ day: today, user: null, feature: 'summarize', calls: 1 }),
        expect.objectContaining({ day: today, user: 'alice', feature: 'summarize', calls: 1 }),
      ]),
    );
    expect(byDay.data).toHaveLength(3);
    // Both tagged calls went to the cheap deployment: the feature's cost is exactly that deployment's.
    const summarize = (await usage('?feature=summarize')).body;
    expect(summarize.totals).toEqual(reportedUsage().budget);

    const budgetOnly = (await usage('?deployment=budget')).body;
    expect(budgetOnly.totals).toEqual(reportedUsage().budget);
  });

  it('counts nothing outside the asked days', async () => {
    const report = (await usage('?from=2020-01-01&to=2020-01-31T23:59:59Z')).body;
    expect(report).toMatchObject({ from: '2020-01-01', to: '2020-01-31', data: [], totals: ZERO });
  });

  it('shows another tenant nothing of it', async () => {
    await settled();
    for (const query of ['', '?groupBy=user,feature,model,deployment,day', '?deployment=main']) {
      const response = await usage(query, tessera.otherTenant.key);
      expect(response.status).toBe(200);
      expect(response.body.data).toEqual([]);
      expect(response.body.totals).toEqual(ZERO);
    }
  });

  it('refuses a bad groupBy, range or parameter with a 400 naming it', async () => {
    const unknownDimension = expectProblem(await usage('?groupBy=day,colour'), 400, 'TESSERA_INVALID_REQUEST', 'querystring.groupBy');
    expect(unknownDimension.detail).toContain('colour');
    expectProblem(await usage('?from=2026-03-10&to=2026-03-01'), 400, 'TESSERA_INVALID_REQUEST', 'querystring.from');
    expectProblem(await usage('?from=2020-01-01&to=2026-01-01'), 400, 'TESSERA_INVALID_REQUEST', 'querystring.from');
    expectProblem(await usage('?to=yesterday'), 400, 'TESSERA_INVALID_REQUEST', 'querystring.to');
    expectProblem(await usage('?feature=has%20space'), 400, 'TESSERA_INVALID_REQUEST', 'querystring.feature');
    expectProblem(await usage('?group_by=day'), 400, 'TESSERA_INVALID_REQUEST');
  });

  it('is described in the OpenAPI document with its query parameters', async () => {
    const document = (await (await fetch(`${tessera.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { parameters?: { in: string; name: string }[] }>>;
    };
    const parameters = document.paths['/v1/usage']?.get?.parameters?.map((parameter) => `${parameter.in}:${parameter.name}`);
    expect(parameters).toEqual(
      expect.arrayContaining(['from', 'to', 'groupBy', 'user', 'feature', 'model', 'deployment'].map((name) => `query:${name}`)),
    );
  });

  it('asks for a key like every other route', async () => {
    expectProblem(await api.request('GET', '/v1/usage', { key: null }), 401, 'TESSERA_UNAUTHORIZED');
  });
});
