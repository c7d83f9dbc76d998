import type { ColumnType } from 'kysely';

/** The API's record of Idempotency-Key responses; it lives beside the read models but is not rebuilt from events. */
export interface IdempotencyKeysTable {
  tenant_id: string;
  idempotency_key: string;
  route: string;
  body_hash: string;
  status_code: number | null;
  response: ColumnType<unknown, string | null, string | null>;
  created_at: ColumnType<Date, never, never>;
}
