import type { RecordedEvent } from '../../domain/events/envelope.js';
import type { EmbeddingCallCompletedData } from '../../domain/embedding/embedding-events.js';
import type { ModelCallCompletedData } from '../../domain/turn/events/model-call-events.js';
import type { TurnRequestedData } from '../../domain/turn/events/turn-requested.js';
import { costMicrosOf } from './cost-of-usage.js';
import type { PriceTable } from './price-table.js';

/**
 * What the ledger files a call under when no deployment answered it: a cache hit, or a
 * call made outside the gateway (the offline provider). In parentheses, which no
 * deployment's name may hold, so neither is ever summed with a deployment's calls.
 */
export const CACHE_DEPLOYMENT = '(cache)';
export const UNROUTED_DEPLOYMENT = '(unrouted)';

const deploymentOf = (chosen: string | undefined, cached: boolean) => chosen ?? (cached ? CACHE_DEPLOYMENT : UNROUTED_DEPLOYMENT);

/** Who a turn's model calls are charged to. Missing parts are `''`, as the ledger stores them. */
export interface TurnAttribution {
  turnId: string;
  tenantId: string;
  userId: string;
  feature: string;
}

export interface LedgerKey {
  tenantId: string;
  /** UTC day of the call's completion, `YYYY-MM-DD`. */
  day: string;
  userId: string;
  feature: string;
  model: string;
  deployment: string;
}

export interface LedgerAmounts {
  calls: number;
  cachedCalls: number;
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  costMicros: number;
}

export type LedgerEntry = LedgerKey & LedgerAmounts;

export function attributionOf(event: RecordedEvent): TurnAttribution {
  const data = event.data as TurnRequestedData;
  return { turnId: data.turnId, tenantId: data.tenantId, userId: data.userId ?? event.metadata.userId ?? '', feature: data.feature ?? '' };
}

/**
 * One call's line in the ledger, priced now from `prices` (so a rebuild re-prices it).
 * A cached call paid no provider: it costs nothing, though its tokens still count as
 * usage served. A call whose deployment and model the table no longer knows keeps the
 * cost recorded when it ran, rather than becoming free.
 */
export function ledgerEntryOf(event: RecordedEvent, attribution: TurnAttribution | undefined, prices: PriceTable): LedgerEntry {
  // A failed call comes here only with the usage its cut stream is estimated to have cost, and its model.
  const data = event.data as Pick<ModelCallCompletedData, 'usage' | 'provider' | 'modelId' | 'routing' | 'costMicros' | 'cached'>;
  const deployment = data.routing?.chosen;
  const cached = data.cached === true;
  const configured = prices.pricesOf({ deployment, provider: data.provider, modelId: data.modelId });
  const recorded = data.costMicros ?? 0;
  return {
    tenantId: attribution?.tenantId ?? event.metadata.tenantId,
    day: event.occurredAt.toISOString().slice(0, 10),
    userId: attribution?.userId ?? event.metadata.userId ?? '',
    feature: attribution?.feature ?? '',
    model: data.modelId,
    deployment: deploymentOf(deployment, cached),
    calls: 1,
    cachedCalls: cached ? 1 : 0,
    inputTokens: data.usage.inputTokens,
    cachedInputTokens: data.usage.cachedInputTokens,
    outputTokens: data.usage.outputTokens,
    costMicros: cached ? 0 : configured ? costMicrosOf(configured, data.usage) : recorded,
  };
}

/**
 * An embeddings call's line: its input tokens at the input price, attributed by the
 * event itself. Inputs answered from the vector cache were never sent, so neither their
 * tokens nor a price count; a call answered whole from it is a cached call.
 */
export function embeddingLedgerEntryOf(event: RecordedEvent, prices: PriceTable): LedgerEntry {
  const data = event.data as EmbeddingCallCompletedData;
  const deployment = data.routing?.chosen;
  const configured = prices.pricesOf({ deployment, provider: data.provider, modelId: data.modelId });
  const usage = { inputTokens: data.usage.inputTokens, cachedInputTokens: 0, outputTokens: 0 };
  const wholeFromCache = data.cachedInputs === data.inputs && data.inputs > 0;
  return {
    tenantId: event.metadata.tenantId,
    day: event.occurredAt.toISOString().slice(0, 10),
    userId: event.metadata.userId ?? '',
    feature: data.feature ?? '',
    model: data.modelId,
    deployment: deploymentOf(deployment, wholeFromCache),
    calls: 1,
    cachedCalls: wholeFromCache ? 1 : 0,
    ...usage,
    costMicros: configured ? costMicrosOf(configured, usage) : (data.costMicros ?? 0),
  };
}

/** Entries with equal keys summed, so one upsert statement touches each ledger row once. */
export function sumByKey(entries: Iterable<LedgerEntry>): LedgerEntry[] {
  const sums = new Map<string, LedgerEntry>();
  for (const entry of entries) {
    const key = JSON.stringify([entry.tenantId, entry.day, entry.userId, entry.feature, entry.model, entry.deployment]);
    const sum = sums.get(key);
    if (!sum) {
      sums.set(key, { ...entry });
      continue;
    }
    sum.calls += entry.calls;
    sum.cachedCalls += entry.cachedCalls;
    sum.inputTokens += entry.inputTokens;
    sum.cachedInputTokens += entry.cachedInputTokens;
    sum.outputTokens += entry.outputTokens;
    sum.costMicros += entry.costMicros;
  }
  return [...sums.values()];
}
