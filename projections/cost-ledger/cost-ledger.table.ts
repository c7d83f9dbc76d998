import type { ColumnType, Insertable, Selectable } from 'kysely';

/** bigint: read back as text (both drivers), written as a number. */
type Count = ColumnType<string, number, number>;

/**
 * Usage and cost summed by tenant, user, feature, model, deployment and UTC day. A call
 * without a user or a feature counts under `''`, so every part of the key is a value.
 */
export interface CostLedgerTable {
  tenant_id: string;
  /** `date`: written as `YYYY-MM-DD`; read it with `to_char`, as drivers turn it into a local-midnight Date. */
  day: ColumnType<Date, string, string>;
  user_id: string;
  feature: string;
  /** The configured model id (`modelId` of ModelCallCompleted), which prices are keyed by. */
  model: string;
  /** The deployment routing chose, or `default` for the single TESSERA_MODEL_* deployment. */
  deployment: string;
  calls: Count;
  /** Calls answered from the exact-match cache: counted, never priced. */
  cached_calls: Count;
  input_tokens: Count;
  cached_input_tokens: Count;
  output_tokens: Count;
  cost_micros: Count;
}

/** Who asked for each turn, written on TurnRequested so its model calls can be attributed. */
export interface CostLedgerTurnsTable {
  turn_id: string;
  tenant_id: string;
  user_id: string;
  feature: string;
}

export type CostLedgerRow = Selectable<CostLedgerTable>;
export type NewCostLedgerRow = Insertable<CostLedgerTable>;
export type NewCostLedgerTurnRow = Insertable<CostLedgerTurnsTable>;
