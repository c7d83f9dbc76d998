import fc from 'fast-check';
import type { NewEvent } from '../../domain/events/envelope.js';
import { newId, type EventId } from '../../domain/shared/ids.js';
import type { ModelCallCompletedData } from '../../domain/turn/events/model-call-events.js';
import type { TurnRequestedData } from '../../domain/turn/events/turn-requested.js';
import { parseGatewayConfig, type GatewayConfig } from '../../gateway/routing/index.js';
import type { TokenPrices } from './price-table.js';

/* Turns with model calls for the cost ledger's tests, and the gateway files pricing them. */

/** Deployments by name: two serve the same model at different prices; `retired` is no longer configured. */
export const DEPLOYMENT_MODELS = { east: 'gpt-small', west: 'gpt-small', big: 'gpt-large', retired: 'gpt-old' } as const;
export type DeploymentName = keyof typeof DEPLOYMENT_MODELS;

export const LAUNCH_PRICES: Record<Exclude<DeploymentName, 'retired'>, TokenPrices> = {
  east: { inputPerMillion: 0.15, cachedInputPerMillion: 0.075, outputPerMillion: 0.6 },
  west: { inputPerMillion: 0.2, cachedInputPerMillion: 0.1, outputPerMillion: 0.8 },
  big: { inputPerMillion: 2.5, cachedInputPerMillion: 1.25, outputPerMillion: 10 },
};

export const DISCOUNTED_PRICES: typeof LAUNCH_PRICES = {
  east: { inputPerMillion: 0.1, cachedInputPerMillion: 0.01, outputPerMillion: 0.4 },
  west: { inputPerMillion: 0.2, cachedInputPerMillion: 0.1, outputPerMillion: 0.8 },
  big: { inputPerMillion: 1.75, cachedInputPerMillion: 0.5, outputPerMillion: 7 },
};

/** A gateway configuration as an operator writes it, `east` listed first so it prices unrouted gpt-small calls. */
export function gatewayConfigWith(prices: typeof LAUNCH_PRICES): GatewayConfig {
  const deployment = (name: keyof typeof LAUNCH_PRICES) => ({
    name,
    provider: 'openai-compatible',
    baseUrl: 'http://127.0.0.1:9/v1',
    model: DEPLOYMENT_MODELS[name],
    contextWindow: 128_000,
    prices: prices[name],
  });
  return parseGatewayConfig({
    aliases: {
      'chat/default': { deployments: [deployment('east'), deployment('west')] },
      'chat/reasoning': { deployments: [deployment('big'), deployment('east')] },
    },
  });
}

export interface GeneratedCall {
  /** Absent: the call had no routing (no gateway), so only its provider and model identify it. */
  deployment?: DeploymentName;
  provider: string;
  model: string;
  usage: { inputTokens: number; cachedInputTokens: number; outputTokens: number };
  cached: boolean;
  /** What the gateway recorded, if anything. */
  costMicros?: number;
  dayOffset: number;
  millisecondOfDay: number;
}

export interface GeneratedTurn {
  tenant: string;
  user?: string;
  feature?: string;
  calls: GeneratedCall[];
}

const usageArbitrary = fc
  .record({ inputTokens: fc.integer({ min: 0, max: 20_000 }), outputTokens: fc.integer({ min: 0, max: 4_000 }), cachedShare: fc.double({ min: 0, max: 1, noNaN: true }) })
  .map(({ inputTokens, outputTokens, cachedShare }) => ({ inputTokens, outputTokens, cachedInputTokens: Math.floor(inputTokens * cachedShare) }));

const routedCall = fc.constantFrom<DeploymentName>('east', 'west', 'big', 'retired').map((deployment) => ({
  deployment,
  provider: 'openai-compatible',
  model: DEPLOYMENT_MODELS[deployment],
}));
const unroutedCall = fc.constantFrom(
  { deployment: undefined, provider: 'openai-compatible', model: 'gpt-small' },
  { deployment: undefined, provider: 'local', model: 'local-extractive' },
);

export const callArbitrary: fc.Arbitrary<GeneratedCall> = fc
  .record({
    where: fc.oneof({ weight: 4, arbitrary: routedCall }, { weight: 1, arbitrary: unroutedCall }),
    usage: usageArbitrary,
    cached: fc.integer({ min: 0, max: 3 }).map((draw) => draw === 0),
    costMicros: fc.option(fc.integer({ min: 0, max: 5_000_000 }), { nil: undefined }),
    dayOffset: fc.integer({ min: 0, max: 3 }),
    millisecondOfDay: fc.integer({ min: 0, max: 86_399_999 }),
  })
  .map(({ where, ...call }) => ({ ...where, ...call }));

export const turnArbitrary: fc.Arbitrary<GeneratedTurn> = fc.record({
  tenant: fc.constantFrom('tenant-a', 'tenant-b', 'tenant-c'),
  user: fc.option(fc.constantFrom('ada', 'grace', 'linus'), { nil: undefined }),
  feature: fc.option(fc.constantFrom('search', 'support/summarize', 'checkout:v2'), { nil: undefined }),
  calls: fc.array(callArbitrary, { minLength: 0, maxLength: 4 }),
});

const FIRST_DAY = Date.parse('2026-03-01T00:00:00.000Z');

export function occurredAtOf(call: GeneratedCall): Date {
  return new Date(FIRST_DAY + call.dayOffset * 86_400_000 + call.millisecondOfDay);
}

/** TurnRequested then one ModelCallCompleted per call, for the turn's stream. */
export function turnEvents(turnId: string, tenantId: string, turn: GeneratedTurn): NewEvent[] {
  const metadata = () => {
    const id = newId<EventId>();
    return { tenantId, userId: turn.user, correlationId: turnId, causationId: id };
  };
  const requested: TurnRequestedData = {
    turnId,
    conversationId: newId(),
    tenantId,
    userId: turn.user,
    message: 'How much did that cost?',
    mode: 'chat',
    stream: false,
    requestedAt: new Date(FIRST_DAY).toISOString(),
    deadline: new Date(FIRST_DAY + 120_000).toISOString(),
    limits: { maxModelSteps: 5, maxToolCalls: 0, maxOutputTokens: 4_096 },
    source: 'api',
    feature: turn.feature,
  };
  return [
    { id: newId<EventId>(), type: 'TurnRequested', data: requested, metadata: metadata(), occurredAt: new Date(FIRST_DAY) },
    ...turn.calls.map((call, index) => ({
      id: newId<EventId>(),
      type: 'ModelCallCompleted',
      data: completion(call, index + 1),
      metadata: metadata(),
      occurredAt: occurredAtOf(call),
    })),
  ];
}

function completion(call: GeneratedCall, step: number): ModelCallCompletedData {
  return {
    step,
    callId: `call-${step}`,
    text: 'It cost very little.',
    toolCalls: [],
    finishReason: 'stop',
    usage: call.usage,
    latencyMs: 120,
    provider: call.provider,
    modelId: call.model,
    responseModelId: `${call.model}-2026-01-01`,
    costMicros: call.costMicros,
    cached: call.cached || undefined,
    routing: call.deployment && {
      alias: 'chat/default',
      strategy: 'priority',
      candidates: [{ deployment: call.deployment, provider: call.provider, model: call.model, reason: 'first in priority order' }],
      chosen: call.deployment,
      attempts: [{ deployment: call.deployment, startedAt: 0, durationMs: 120, outcome: 'ok' }],
    },
  };
}
