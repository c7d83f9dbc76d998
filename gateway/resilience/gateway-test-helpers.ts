import type { FakeUpstream } from '../../test/support/fake-upstream/index.js';
import { ModelCallError } from '../model-call-error.js';
import type { ModelRequest } from '../model-spec.js';
import { parseGatewayConfig, type GatewayConfigInput } from '../routing/deployments.js';
import { createManualClock } from './clock.js';
import { createGateway, type GatewayOptions } from './create-gateway.js';
import type { RoutingReport } from '../routing/routing-report.js';
import type { GatewayModel, GatewayStreamPart } from './gateway-call-error.js';

/** Shared by the gateway's tests, which all talk to the fake upstream through the real provider. */
export type DeploymentInput = GatewayConfigInput['aliases'][string]['deployments'][number];

export const TEST_PRICES = { inputPerMillion: 1, cachedInputPerMillion: 0.5, outputPerMillion: 2 };

/** A deployment on the fake upstream; its model is `fake-<name>`, so requests show which one was called. */
export function fakeDeployment(upstream: FakeUpstream, name: string, overrides: Partial<DeploymentInput> = {}): DeploymentInput {
  return {
    name,
    provider: 'openai-compatible',
    baseUrl: upstream.url,
    apiKey: 'test-key',
    model: `fake-${name}`,
    contextWindow: 100_000,
    prices: TEST_PRICES,
    ...overrides,
  };
}

/** Fake upstream directives for every request of one deployment (the header wins over the prompt's). */
export function scenario(directives: string): { headers: Record<string, string> } {
  return { headers: { 'x-fake-scenario': directives } };
}

export function ask(content: string): ModelRequest {
  return { messages: [{ role: 'user', content }] };
}

/** Models the upstream was asked for since `mark`, in order. */
export function modelsSince(upstream: FakeUpstream, mark: number): string[] {
  return upstream.requests.slice(mark).map((request) => (request.body as { model: string }).model);
}

export async function streamed(model: GatewayModel, request: ModelRequest): Promise<{ text: string; report: RoutingReport; parts: GatewayStreamPart[] }> {
  const parts: GatewayStreamPart[] = [];
  for await (const part of model.stream(request)) parts.push(part);
  const finish = parts.at(-1);
  if (finish?.type !== 'finish') throw new Error('the stream did not end with a finish part');
  return { text: finish.result.text, report: finish.result.routing, parts };
}

export async function failure(call: () => Promise<unknown>): Promise<ModelCallError> {
  const error = await call().then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!ModelCallError.isInstance(error)) throw new Error(`expected a ModelCallError, got ${String(error)}`);
  return error;
}

/** `chat/default` over the given deployments, on a manual clock with jitter pinned to the middle unless `options` say otherwise. */
export function gatewayModelOver(deployments: DeploymentInput[], options: GatewayOptions = {}): GatewayModel {
  const config = parseGatewayConfig({ aliases: { 'chat/default': { deployments } } });
  return createGateway(config, { clock: createManualClock(), random: () => 0.5, ...options }).languageModel('chat/default');
}
