import type { CompleteModelCall } from '../../domain/turn/turn-command.js';
import { cacheKeyOf, isCacheable } from '../../gateway/cache/cache-key.js';
import type { CachedResponse } from '../../gateway/cache/response-cache.js';
import type { ModelRequest, ModelResult } from '../../gateway/model-spec.js';
import type { PlannedModelCall } from './call-model-handler.js';
import type { TurnPipelineDependencies } from './turn-pipeline-context.js';

/** Answers worth serving again: finished ones, not those cut short by the token cap, a filter or an error. */
const CACHEABLE_FINISHES = new Set<ModelResult['finishReason']>(['stop', 'tool-calls']);

/** Where the call's answer is (or would be) cached; no key when the call is not cacheable. */
export interface CacheLookup {
  key?: string;
  hit?: CachedResponse;
}

/**
 * The cache entry this call would use: only for deterministic requests (temperature 0
 * or a seed), keyed by everything that shapes the answer. The lookup is skipped, not
 * the write, when the caller asked for a fresh answer.
 */
export async function lookUpCachedAnswer(dependencies: TurnPipelineDependencies, call: PlannedModelCall, request: ModelRequest): Promise<CacheLookup> {
  const cache = dependencies.responseCache;
  if (!cache || !isCacheable(request)) return {};
  const key = cacheKeyOf({
    tenantId: call.tenantId,
    alias: call.alias,
    model: call.model,
    request,
    promptName: call.prompt.promptName,
    promptVersion: call.prompt.promptVersion,
    retrievedDocIds: call.retrievedDocIds,
  });
  return { key, hit: call.cacheBypass ? undefined : await cache.get(key) };
}

/**
 * Caches an answer once its completion is recorded, not before: an answer served from
 * the cache names the call it came from, which must be in the log with its cost, or a
 * retry after a failed append would be served free and the ledger never see the call.
 */
export function rememberAnswer(dependencies: TurnPipelineDependencies, lookup: CacheLookup, call: PlannedModelCall, completion: CompleteModelCall['data']): void {
  if (!lookup.key || !dependencies.responseCache || completion.cached || !CACHEABLE_FINISHES.has(completion.finishReason)) return;
  if (asksForJson(call) && !parsesAsJson(completion.text)) return;
  const entry: CachedResponse = {
    callId: completion.callId,
    text: completion.text,
    toolCalls: completion.toolCalls,
    finishReason: completion.finishReason,
    usage: completion.usage,
    provider: completion.provider,
    modelId: completion.modelId,
    responseModelId: completion.responseModelId,
    createdAt: new Date().toISOString(),
  };
  // Not awaited: the answer is on its way either way, and a cache that cannot be reached drops it.
  dependencies.responseCache.set(lookup.key, entry, dependencies.cacheTtlMs ?? 3_600_000).catch((error: unknown) => {
    dependencies.logger.warn({ err: error, callId: call.callId }, 'could not cache a model answer');
  });
}

/** A hit recorded as the call's completion: no tokens were spent, so it costs nothing. */
export function cachedCompletion(call: PlannedModelCall, hit: CachedResponse, latencyMs: number): CompleteModelCall {
  return {
    type: 'CompleteModelCall',
    data: {
      step: call.prompt.step,
      callId: call.callId,
      text: hit.text,
      toolCalls: hit.toolCalls,
      finishReason: hit.finishReason,
      usage: hit.usage,
      latencyMs,
      timeToFirstTokenMs: latencyMs,
      provider: hit.provider,
      modelId: hit.modelId,
      responseModelId: hit.responseModelId,
      costMicros: 0,
      cached: true,
      cachedFromCallId: hit.callId,
      now: new Date(),
    },
  };
}

/** An answer validation would send back for repair must not be served again. */
function asksForJson(call: PlannedModelCall): boolean {
  const format = call.prompt.parameters.responseFormat?.type;
  return format === 'json_object' || format === 'json_schema';
}

function parsesAsJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
