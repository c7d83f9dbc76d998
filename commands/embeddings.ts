import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { BudgetExhaustedError } from '../domain/budget/budget-errors.js';
import type { EmbeddingCallCompletedData, EmbeddingCallFailedData, EmbeddingCallStartedData } from '../domain/embedding/embedding-events.js';
import { newId, type EventId } from '../domain/shared/ids.js';
import { streamId } from '../domain/shared/stream-id.js';
import { settleInBackground, type BudgetGuard, type BudgetReservation } from '../gateway/budgets/index.js';
import { ModelCallError } from '../gateway/model-call-error.js';
import type { ModelRegistry } from '../gateway/model-registry.js';
import { decodeVector, embeddingCacheKeyOf, encodeVector, type CachedEmbedding, type EmbeddingCache } from '../gateway/cache/embedding-cache.js';
import type { EmbeddingModel, EmbeddingResult } from '../gateway/model-spec.js';
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
  cache?: { vectors: EmbeddingCache; ttlMs: number };
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
  const cached = await lookUpVectors(dependencies.cache, model, input);
  const toSend = cached ? input.inputs.filter((_, index) => cached.hits[index] === undefined) : input.inputs;
  const cachedInputs = input.inputs.length - toSend.length;
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
  if (cached && toSend.length === 0) {
    const [first] = cached.hits;
    await record('EmbeddingCallCompleted', {
      ...recorded,
      latencyMs: elapsed(),
      dimensions: model.dimensions,
      usage: { inputTokens: 0 },
      provider: first!.provider,
      modelId: first!.modelId,
      costMicros: 0,
      cachedFromCallIds: sourcesOf(cached.hits),
    }, 0);
    return { embeddings: cached.hits.map((hit) => hit!.vector), usage: { inputTokens: 0 }, cachedInputs };
  }

  // The hold outlives no call: one that runs past this ends as a timeout.
  const deadline = AbortSignal.timeout(dependencies.maxCallMs);
  let result: EmbeddingResult;
  try {
    result = await model.embed(toSend, { abortSignal: deadline });
  } catch (thrown) {
    settle(0);
    const error = deadline.aborted ? new ModelCallError('timeout', `the embeddings call did not end within ${dependencies.maxCallMs} ms`, { cause: thrown }) : thrown;
    const known = ModelCallError.isInstance(error) ? error : new ModelCallError('server', error instanceof Error ? error.message : String(error));
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
  const embeddings = cached ? merged(cached.hits, result.embeddings) : result.embeddings;
  if (cached) rememberVectors(dependencies, cached, result.embeddings, { callId, provider, modelId, createdAt: new Date().toISOString() });
  await record('EmbeddingCallCompleted', {
    ...recorded,
    latencyMs: elapsed(),
    dimensions: model.dimensions,
    usage: { inputTokens: result.usage.inputTokens },
    provider,
    modelId,
    costMicros,
    routing,
    ...(cached && cachedInputs > 0 && { cachedFromCallIds: sourcesOf(cached.hits) }),
  }, 0);
  return { embeddings, usage: result.usage, cachedInputs };
}

interface CachedVector {
  vector: number[];
  callId: string;
  provider: string;
  modelId: string;
}

interface VectorLookup {
  keys: string[];
  /** Per input: its vector from the cache, or undefined for one the model must embed. */
  hits: (CachedVector | undefined)[];
}

async function lookUpVectors(cache: EmbeddingCallDependencies['cache'], model: EmbeddingModel, input: EmbeddingCallInput): Promise<VectorLookup | undefined> {
  if (!cache) return undefined;
  const keys = input.inputs.map((text) =>
    embeddingCacheKeyOf({ tenantId: input.tenantId, alias: input.alias, provider: model.provider, modelId: model.modelId, dimensions: model.dimensions, text }),
  );
  if (input.fresh) return { keys, hits: keys.map(() => undefined) };
  const entries = await Promise.all(keys.map((key) => cache.vectors.get(key)));
  return {
    keys,
    hits: entries.map((entry) => {
      if (!entry) return undefined;
      const vector = decodeVector(entry.vector);
      // An entry of another size (a garbled one) is a miss, not a wrong answer.
      return vector.length === model.dimensions ? { vector, callId: entry.callId, provider: entry.provider, modelId: entry.modelId } : undefined;
    }),
  };
}

/** The cached vectors in their places, the model's filling the gaps in order. */
function merged(hits: VectorLookup['hits'], fresh: readonly number[][]): number[][] {
  let next = 0;
  return hits.map((hit) => hit?.vector ?? fresh[next++]!);
}

/** Caches what the model just embedded; not awaited, as a cache that cannot be reached drops it. */
function rememberVectors(dependencies: EmbeddingCallDependencies, lookup: VectorLookup, fresh: readonly number[][], source: Omit<CachedEmbedding, 'vector'>): void {
  const { cache } = dependencies;
  if (!cache) return;
  let next = 0;
  lookup.hits.forEach((hit, index) => {
    if (hit) return;
    const vector = fresh[next++];
    if (!vector) return;
    cache.vectors.set(lookup.keys[index]!, { ...source, vector: encodeVector(vector) }, cache.ttlMs).catch((error: unknown) => {
      dependencies.logger.warn({ err: error, callId: source.callId }, 'could not cache a vector');
    });
  });
}

function sourcesOf(hits: VectorLookup['hits']): string[] {
  return [...new Set(hits.flatMap((hit) => (hit ? [hit.callId] : [])))];
}

/** SHA-256 of the inputs as a JSON array of strings, in hex. */
function digestOf(inputs: readonly string[]): string {
  return createHash('sha256').update(JSON.stringify(inputs)).digest('hex');
}
