import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../../test/support/fake-upstream/index.js';
import { parseGatewayConfig } from '../routing/deployments.js';
import type { BreakerState } from './with-circuit-breaker.js';
import { createManualClock } from './clock.js';
import { createGateway, type GatewayOptions } from './create-gateway.js';
import { ask, failure, fakeDeployment, scenario, TEST_PRICES, type DeploymentInput } from './gateway-test-helpers.js';
import { createRetryBudget } from './retry-budget.js';
import { GatewayCallError } from './gateway-call-error.js';

let upstream: FakeUpstream;
beforeAll(async () => {
  upstream = await startFakeUpstream();
});
afterAll(() => upstream.close());

const DIMENSIONS = 64;
/** One embedding model at several endpoints; `scenario` makes one fail. */
const endpoint = (name: string, scenario?: string, overrides: Partial<DeploymentInput> = {}): DeploymentInput =>
  fakeDeployment(upstream, name, { model: 'text-embed', requestDimensions: true, ...(scenario && { headers: { 'x-fake-scenario': scenario } }), ...overrides });
const gatewayWith = (deployments: DeploymentInput[], options: GatewayOptions = {}) =>
  createGateway(parseGatewayConfig({ aliases: { 'chat/default': { deployments: [fakeDeployment(upstream, 'chat')] }, 'embed/default': { deployments } } }), {
    clock: createManualClock(),
    random: () => 0.5,
    embeddingDimensions: DIMENSIONS,
    ...options,
  });
const embedderOver = (deployments: DeploymentInput[], options: GatewayOptions = {}) => gatewayWith(deployments, options).embeddingModels()['embed/default']!;
const embeddingCallsSince = (mark: number) => upstream.requests.slice(mark).filter((request) => request.path === '/v1/embeddings');

describe('embedding aliases of a gateway file', () => {
  it('embed through their deployment at the index size, priced at its input price, and are not chat models', async () => {
    const gateway = gatewayWith([endpoint('embed-a')]);
    const mark = upstream.requests.length;
    const result = await gateway.embeddingModels()['embed/default']!.embed(['refund window', 'return policy']);
    expect(result.embeddings.map((vector) => vector.length)).toEqual([DIMENSIONS, DIMENSIONS]);
    expect(embeddingCallsSince(mark).map((request) => request.body)).toEqual([expect.objectContaining({ model: 'text-embed', dimensions: DIMENSIONS })]);
    expect(result.usage.inputTokens).toBeGreaterThan(0);
    expect(result.costMicros).toBe(Math.round(result.usage.inputTokens * TEST_PRICES.inputPerMillion));
    expect(result.routing).toMatchObject({ alias: 'embed/default', chosen: 'embed-a', attempts: [{ deployment: 'embed-a', outcome: 'ok' }] });
    expect(gateway.aliases()).toEqual(['chat/default']);
  });

  it('name their model, and a cache scope that any change to where or how it is served changes', () => {
    const embedder = embedderOver([endpoint('embed-a'), endpoint('embed-b')]);
    expect(embedder.modelId).toBe('text-embed');
    const sourceWith = (deployments: DeploymentInput[]) => embedderOver(deployments).cacheScope;
    expect(sourceWith([endpoint('embed-a'), endpoint('embed-b')])).toBe(embedder.cacheScope);
    expect(sourceWith([endpoint('embed-a'), endpoint('embed-b', undefined, { baseUrl: 'http://127.0.0.1:1/v1' })])).not.toBe(embedder.cacheScope);
    expect(sourceWith([endpoint('embed-a', undefined, { requestDimensions: false }), endpoint('embed-b')])).not.toBe(embedder.cacheScope);
    expect(sourceWith([endpoint('embed-a')])).not.toBe(embedder.cacheScope);
  });

  it('fall back to the next endpoint of the model on a server error, and report it', async () => {
    const mark = upstream.requests.length;
    const served = await embedderOver([endpoint('embed-down', 'status=503'), endpoint('embed-up')], { retry: { maxRetries: 1 } }).embed(['refund window']);
    expect(served.embeddings[0]).toHaveLength(DIMENSIONS);
    expect(embeddingCallsSince(mark)).toHaveLength(3);
    expect(served.routing.chosen).toBe('embed-up');
    expect(served.routing.attempts.map(({ deployment, outcome }) => `${deployment}:${outcome}`)).toEqual(['embed-down:server', 'embed-down:server', 'embed-up:ok']);
  });

  it('do not retry or fall back when the request itself is refused, and say how it was routed', async () => {
    const mark = upstream.requests.length;
    const error = await failure(() => embedderOver([endpoint('embed-refusing', 'status=400'), endpoint('embed-spare')]).embed(['refund window']));
    expect(error.kind).toBe('bad-request');
    expect(embeddingCallsSince(mark)).toHaveLength(1);
    expect(error).toBeInstanceOf(GatewayCallError);
    expect((error as GatewayCallError).routing.attempts).toEqual([expect.objectContaining({ deployment: 'embed-refusing', retryRefused: 'not-retryable' })]);
  });

  it('skip an endpoint whose context window cannot hold the longest input', async () => {
    const long = 'refund policy details '.repeat(40);
    const served = await embedderOver([endpoint('embed-small', undefined, { contextWindow: 16 }), endpoint('embed-large')]).embed(['short', long]);
    expect(served.routing.candidates[0]).toMatchObject({ deployment: 'embed-small', skipped: 'context-window' });
    expect(served.routing.chosen).toBe('embed-large');
  });

  it('open a breaker per deployment: while it is open the deployment is skipped without a call', async () => {
    const transitions: string[] = [];
    const embedder = embedderOver([endpoint('embed-flaky', 'status=500'), endpoint('embed-steady')], {
      retry: { maxRetries: 0 },
      breaker: { halfOpenAfterMs: 60_000, rule: { consecutiveFailures: 2 } },
      onBreakerStateChange: (deployment: string, state: BreakerState) => transitions.push(`${deployment}:${state}`),
    });
    await embedder.embed(['one']);
    await embedder.embed(['two']);
    expect(transitions).toEqual(['embed-flaky:open']);
    const mark = upstream.requests.length;
    const third = await embedder.embed(['three']);
    expect(third.routing.candidates[0]).toMatchObject({ deployment: 'embed-flaky', skipped: 'breaker-open' });
    expect(embeddingCallsSince(mark).map((request) => (request.headers['x-fake-scenario'] ?? 'none'))).toEqual(['none']);
  });

  it('share the process retry budget with chat calls', async () => {
    const clock = createManualClock();
    const budget = createRetryBudget({ capacity: 1, ratio: 0, minimumPerSecond: 0, clock });
    const config = parseGatewayConfig({
      aliases: {
        'chat/default': { deployments: [fakeDeployment(upstream, 'chat-down', scenario('status=503'))] },
        'embed/default': { deployments: [endpoint('embed-throttled', 'status=503'), endpoint('embed-after')] },
      },
    });
    const gateway = createGateway(config, { clock, random: () => 0.5, budget, retry: { maxRetries: 3 }, embeddingDimensions: DIMENSIONS });
    const chatFailure = await failure(() => gateway.languageModel('chat/default').generate(ask('spend the retry')));
    expect((chatFailure as GatewayCallError).routing.attempts.map((attempt) => attempt.retryRefused ?? 'retried')).toEqual(['retried', 'budget-exhausted']);
    const served = await gateway.embeddingModels()['embed/default']!.embed(['refund window']);
    expect(served.routing.attempts[0]).toMatchObject({ deployment: 'embed-throttled', retryRefused: 'budget-exhausted' });
  });
});
