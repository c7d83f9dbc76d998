import type { ColumnType, Insertable, Selectable } from 'kysely';

/** Issued API keys by key id: what authentication reads on every request. */
export interface ApiKeysTable {
  key_id: string;
  tenant_id: string;
  name: string;
  /** sha-256 hex of the secret; the secret itself is shown once and never stored. */
  secret_hash: string;
  prefix: string;
  /** jsonb: written as JSON text, read back as an array. */
  scopes: ColumnType<string[], string, string>;
  issued_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
}

export interface TenantsTable {
  tenant_id: string;
  name: string;
  created_at: Date;
}

export type ApiKeyRow = Selectable<ApiKeysTable>;
export type NewApiKeyRow = Insertable<ApiKeysTable>;
export type TenantRow = Selectable<TenantsTable>;
