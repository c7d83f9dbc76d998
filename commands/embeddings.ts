import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { BudgetExhaustedError } from '../domain/budget/budget-errors.js';
import type { EmbeddingCallCompletedData, EmbeddingCallFailedData, EmbeddingCallStartedData } from '../domain/embedding/embedding-events.js';
import { newId, type EventId } from '../domain/shared/ids.js';
import { streamId } from '../domain/shared/stream-id.js';
import { settleInBackground, type BudgetGuard, type BudgetReservation } from '../gateway/budgets/index.js';
import { ModelCallError } from '../gateway/model-call-error.js';
import type { ModelRegistry } from '../gateway/model-registry.js';
import type { EmbeddingResult } from '../gateway/model-spec.js';
import { lookUpVectors, rememberVectors, sourcesOf, vectorsInOrder, type VectorCache } from './cached-vectors.js';
import { routingReportOf } from '../gateway/routing/routing-report.js';
import type { EventStore } from '../infra/event-store/port.js';

/** Budgets as embeddings meter them: a call's worst case is its input on the alias's dearest deployment. */
export interface EmbeddingBudgets {
  guard: Pick<BudgetGuard, 'reserve' | 'settle'>;
  worstCaseMicros(alias: string, inputs: readonly string[]): number;
}

export interface EmbeddingCallDependencies {
  store: EventStore;
  models: Pick<ModelRegistry, 'embeddingModel'>;
  budgets?: EmbeddingBudgets;
  /** The longest a call may run, retries and fallbacks included; budget holds outlive it. */
  maxCallMs: number;
  logger: Pick<Logger, 'warn'>;
  /** Vectors already paid for, per input text; none when the cache is off. */
  cache?: VectorCache;
}

interface EmbeddingCallEvents {
  EmbeddingCallStarted: EmbeddingCallStartedData;
  EmbeddingCallCompleted: EmbeddingCallCompletedData;
  EmbeddingCallFailed: EmbeddingCallFailedData;
}

export interface EmbeddingCallInput {
  /** Names the call's stream, `embedding-<callId>`; the caller may hand it out before the call ends. */
  callId: string;
  tenantId: string;
  keyId?: string;
  userId?: string;
  feature?: string;
  /** Where the call came from, such as `openai-compatible`. */
  source: string;
  alias: string;
  inputs: readonly string[];
  correlationId: string;
  /** `Cache-Control: no-cache`: every input goes to the model, and its vector is cached afresh. */
  fresh?: boolean;
}

/** The vectors in input order, and how many of them came from the cache. */
export type EmbeddingCallResult = EmbeddingResult & { cachedInputs: number };

/**
 * One embeddings call as the gateway meters every model call: its worst case held against
 * the tenant's and the key's budgets first, EmbeddingCallStarted on `embedding-<callId>`,
 * the call, then EmbeddingCallCompleted (or EmbeddingCallFailed) before the caller gets
 * the vectors, and the hold settled at the real cost. A refused or failed call is
 * recorded too, and its error rethrown.
 */
export async function callEmbeddings(dependencies: EmbeddingCallDependencies, input: EmbeddingCallInput): Promise<EmbeddingCallResult> {
  const { callId } = input;
  const model = dependencies.models.embeddingModel(input.alias);
  const started = performance.now();
  const lookup = await lookUpVectors(dependencies.cache, model, input);
  const { toSend } = lookup;
  const cachedInputs = lookup.hits.filter(Boolean).length;
  const recorded = {
    callId,
    alias: input.alias,
    ...(input.keyId !== undefined && { keyId: input.keyId }),
    ...(input.feature !== undefined && { feature: input.feature }),
    source: input.source,
    inputs: input.inputs.length,
    inputsDigest: digestOf(input.inputs),
    ...(cachedInputs > 0 && { cachedInputs }),
  };
  const elapsed = () => Math.round(performance.now() - started);
  /** Each event of the call in its place: the start first, or a budget refusal alone. */
  const record = <Type extends keyof EmbeddingCallEvents>(type: Type, data: EmbeddingCallEvents[Type], expectedRevision: 'no_stream' | 0) =>
    dependencies.store.appendToStream(
      streamId('embedding', callId),
      [{ id: newId<EventId>(), type, data, metadata: { tenantId: input.tenantId, userId: input.userId, correlationId: input.correlationId, causationId: input.correlationId } }],
      { expectedRevision },
    );

  const { budgets } = dependencies;
  let reservation: BudgetReservation | undefined;
  const settle = (actualMicros: number) => {
    if (budgets && reservation) settleInBackground(budgets.guard, reservation, actualMicros, dependencies.logger);
  };
  try {
    // Vectors from the cache cost nothing, so a call answered whole from it holds nothing.
    if (toSend.length > 0) reservation = await budgets?.guard.reserve({
      tenantId: input.tenantId,
      keyId: input.keyId,
      callId,
      worstCaseMicros: budgets.worstCaseMicros(input.alias, toSend),
      now: new Date(),
      metadata: { correlationId: input.correlationId, causationId: callId },
    });
  } catch (error) {
    if (!BudgetExhaustedError.isInstance(error)) throw error;
    await record('EmbeddingCallFailed', {
      ...recorded,
      latencyMs: elapsed(),
      errorKind: 'budget-exceeded',
      message: error.message,
      retryable: false,
      budget: error.exhaustion(),
    }, 'no_stream');
    throw error;
  }

  try {
    await record('EmbeddingCallStarted', { ...recorded, startedAt: new Date().toISOString() }, 'no_stream');
  } catch (error) {
    settle(0);
    throw error;
  }
  if (toSend.length === 0) {
    const [first] = lookup.hits;
    await record('EmbeddingCallCompleted', {
      ...recorded,
      latencyMs: elapsed(),
      dimensions: model.dimensions,
      usage: { inputTokens: 0 },
      provider: first!.provider,
      modelId: first!.modelId,
      costMicros: 0,
      cachedFromCallIds: sourcesOf(lookup.hits),
    }, 0);
    return { embeddings: lookup.hits.map((hit) => hit!.vector), usage: { inputTokens: 0 }, cachedInputs };
  }

  // The hold outlives no call: one that runs past this ends as a timeout.
  const deadline = AbortSignal.timeout(dependencies.maxCallMs);
  let result: EmbeddingResult;
  try {
    result = await model.embed(toSend, { abortSignal: deadline });
    if (result.embeddings.length !== toSend.length) {
      throw new ModelCallError('server', `the model returned ${result.embeddings.length} vectors for ${toSend.length} inputs`);
    }
  } catch (thrown) {
    settle(0);
    const error = deadline.aborted ? new ModelCallError('timeout', `the embeddings call did not end within ${dependencies.maxCallMs} ms`, { cause: thrown }) : thrown;
    const known = ModelCallError.from(error);
    await record('EmbeddingCallFailed', {
      ...recorded,
      latencyMs: elapsed(),
      errorKind: known.kind,
      message: known.message.slice(0, 10_000),
      retryable: known.retryable,
      routing: routingReportOf(thrown),
    }, 0);
    throw error;
  }
  const routing = routingReportOf(result);
  const chosen = routing?.candidates.find((candidate) => candidate.deployment === routing.chosen);
  const costMicros = (result as { costMicros?: number }).costMicros;
  settle(costMicros ?? 0);
  const provider = chosen?.provider ?? model.provider;
  const modelId = chosen?.model ?? model.modelId;
  await record('EmbeddingCallCompleted', {
    ...recorded,
    latencyMs: elapsed(),
    dimensions: model.dimensions,
    usage: { inputTokens: result.usage.inputTokens },
    provider,
    modelId,
    costMicros,
    routing,
    ...(cachedInputs > 0 && { cachedFromCallIds: sourcesOf(lookup.hits) }),
  }, 0);
  // Cached only once the call that paid for them is on record.
  if (dependencies.cache) {
    rememberVectors(dependencies.cache, lookup, result.embeddings, { callId, provider, modelId, createdAt: new Date().toISOString() }, dependencies.logger);
  }
  return { embeddings: vectorsInOrder(input.inputs, lookup, result.embeddings), usage: result.usage, cachedInputs };
}

/** SHA-256 of the inputs as a JSON array of strings, in hex. */
function digestOf(inputs: readonly string[]): string {
  return createHash('sha256').update(JSON.stringify(inputs)).digest('hex');
}
