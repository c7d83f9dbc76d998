import type { Kysely } from 'kysely';
import type { ApiKeysTable, TenantsTable } from './api-keys/api-keys.table.js';
import type { CheckpointsTable } from './checkpoints/checkpoints.table.js';
import type { CostLedgerTable, CostLedgerTurnsTable } from './cost-ledger/cost-ledger.table.js';
import type { IdempotencyKeysTable } from './idempotency-keys.table.js';
import type { ConversationMessagesTable, ConversationsTable, TurnsTable } from './conversations/conversations.table.js';
import type { StreamCatalogTable } from './stream-catalog/stream-catalog.table.js';

/** Every read-model table, as kysely sees the shared database. */
export interface ReadModelDatabase {
  tessera_checkpoints: CheckpointsTable;
  stream_catalog: StreamCatalogTable;
  tenants: TenantsTable;
  api_keys: ApiKeysTable;
  conversations: ConversationsTable;
  conversation_messages: ConversationMessagesTable;
  turns: TurnsTable;
  cost_ledger: CostLedgerTable;
  cost_ledger_turns: CostLedgerTurnsTable;
  /** Not a projection: the API's record of Idempotency-Key responses, in the same database. */
  api_idempotency_keys: IdempotencyKeysTable;
}

export type ReadModels = Kysely<ReadModelDatabase>;
