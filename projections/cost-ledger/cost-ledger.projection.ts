import { sql, type Transaction } from 'kysely';
import type { RecordedEvent } from '../../domain/events/envelope.js';
import type { ModelCallFailedData } from '../../domain/turn/events/model-call-events.js';
import { idOf } from '../../domain/shared/stream-id.js';
import type { Projection } from '../projection.js';
import type { ReadModelDatabase } from '../read-model-database.js';
import { attributionOf, embeddingLedgerEntryOf, ledgerEntryOf, sumByKey, type LedgerEntry, type TurnAttribution } from './ledger-entries.js';
import * as createCostLedger from './migrations/2026-11-24-0001-create-cost-ledger.js';
import { fingerprintVersion, type PriceTable } from './price-table.js';

type Writer = Transaction<ReadModelDatabase>;

/** Bump when the ledger's rules change; the price table's fingerprint is mixed in too. */
// 4: calls no deployment answered are filed under (cache) or (unrouted), apart from any deployment.
const LEDGER_RULES_VERSION = 4;

/** Rows per statement: far below PostgreSQL's 65,535 parameters at 12 columns a row. */
const ROWS_PER_STATEMENT = 1_000;

/**
 * Usage and cost by tenant, user, feature, model, deployment and day, of chat calls
 * (those that failed after streaming output included) and embeddings calls alike. Cost is computed
 * here from the configured prices, not copied from the events, and the version follows
 * the price table: a changed table rebuilds the ledger, re-pricing history. Writes are
 * set-based per batch (one insert of attributions, one lookup, one upsert of summed
 * rows), which is what keeps a rebuild fast.
 */
export function createCostLedgerProjection(prices: PriceTable): Projection {
  return {
    name: 'cost-ledger',
    version: fingerprintVersion(prices, LEDGER_RULES_VERSION),
    eventTypes: ['TurnRequested', 'ModelCallCompleted', 'ModelCallFailed', 'EmbeddingCallCompleted'],
    migrations: { '2026-11-24-0001-create-cost-ledger': createCostLedger },
    tables: ['cost_ledger', 'cost_ledger_turns'],
    async apply(transaction, events) {
      const requested = new Map<string, TurnAttribution>();
      for (const event of events) {
        if (event.type !== 'TurnRequested') continue;
        const attribution = attributionOf(event);
        if (!requested.has(attribution.turnId)) requested.set(attribution.turnId, attribution);
      }
      await insertAttributions(transaction, [...requested.values()]);
      // A failed call is in the ledger when it streamed output before failing, which the provider bills.
      const calls = events.filter((event) => event.type === 'ModelCallCompleted' || (event.type === 'ModelCallFailed' && (event.data as ModelCallFailedData).usage !== undefined));
      const embeddings = events.filter((event) => event.type === 'EmbeddingCallCompleted').map((event) => embeddingLedgerEntryOf(event, prices));
      if (calls.length === 0 && embeddings.length === 0) return;
      const attributions = await withStoredAttributions(transaction, requested, calls);
      const entries = calls.map((event) => ledgerEntryOf(event, attributions.get(idOf(event.streamId)), prices));
      await addToLedger(transaction, sumByKey([...entries, ...embeddings]));
    },
  };
}

async function insertAttributions(db: Writer, attributions: readonly TurnAttribution[]): Promise<void> {
  for (const chunk of chunks(attributions)) {
    await db
      .insertInto('cost_ledger_turns')
      .values(chunk.map((turn) => ({ turn_id: turn.turnId, tenant_id: turn.tenantId, user_id: turn.userId, feature: turn.feature })))
      .onConflict((conflict) => conflict.column('turn_id').doNothing())
      .execute();
  }
}

/** This batch's attributions plus those of earlier batches for the turns its calls belong to. */
async function withStoredAttributions(
  db: Writer,
  requested: ReadonlyMap<string, TurnAttribution>,
  calls: readonly RecordedEvent[],
): Promise<Map<string, TurnAttribution>> {
  const attributions = new Map(requested);
  const missing = [...new Set(calls.map((event) => idOf(event.streamId)))].filter((turnId) => !attributions.has(turnId));
  for (const chunk of chunks(missing)) {
    const rows = await db.selectFrom('cost_ledger_turns').selectAll().where('turn_id', 'in', chunk).execute();
    for (const row of rows) {
      attributions.set(row.turn_id, { turnId: row.turn_id, tenantId: row.tenant_id, userId: row.user_id, feature: row.feature });
    }
  }
  return attributions;
}

async function addToLedger(db: Writer, entries: readonly LedgerEntry[]): Promise<void> {
  const add = (column: string) => sql<number>`${sql.ref(`cost_ledger.${column}`)} + ${sql.ref(`excluded.${column}`)}`;
  for (const chunk of chunks(entries)) {
    await db
      .insertInto('cost_ledger')
      .values(
        chunk.map((entry) => ({
          tenant_id: entry.tenantId,
          day: entry.day,
          user_id: entry.userId,
          feature: entry.feature,
          model: entry.model,
          deployment: entry.deployment,
          calls: entry.calls,
          cached_calls: entry.cachedCalls,
          input_tokens: entry.inputTokens,
          cached_input_tokens: entry.cachedInputTokens,
          output_tokens: entry.outputTokens,
          cost_micros: entry.costMicros,
        })),
      )
      .onConflict((conflict) =>
        conflict.columns(['tenant_id', 'day', 'user_id', 'feature', 'model', 'deployment']).doUpdateSet({
          calls: add('calls'),
          cached_calls: add('cached_calls'),
          input_tokens: add('input_tokens'),
          cached_input_tokens: add('cached_input_tokens'),
          output_tokens: add('output_tokens'),
          cost_micros: add('cost_micros'),
        }),
      )
      .execute();
  }
}

function* chunks<Item>(items: readonly Item[]): Generator<Item[]> {
  for (let start = 0; start < items.length; start += ROWS_PER_STATEMENT) yield items.slice(start, start + ROWS_PER_STATEMENT);
}
