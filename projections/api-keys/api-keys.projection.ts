import type { RecordedEvent } from '../../domain/events/envelope.js';
import type { ApiKeyIssuedData, ApiKeyRevokedData, TenantCreatedData } from '../../domain/tenant/tenant-events.js';
import type { Projection } from '../projection.js';
import * as createApiKeys from './migrations/2026-11-23-0001-create-api-keys.js';

/** Tenants and their API keys, for authenticating requests and listing keys. */
export const apiKeysProjection: Projection = {
  name: 'api-keys',
  version: 1,
  eventTypes: ['TenantCreated', 'ApiKeyIssued', 'ApiKeyRevoked'],
  migrations: { '2026-11-23-0001-create-api-keys': createApiKeys },
  tables: ['api_keys', 'tenants'],
  async apply(transaction, events) {
    for (const event of events) await applyOne(transaction, event);
  },
};

async function applyOne(transaction: Parameters<Projection['apply']>[0], event: RecordedEvent): Promise<void> {
  switch (event.type) {
    case 'TenantCreated': {
      const data = event.data as TenantCreatedData;
      await transaction
        .insertInto('tenants')
        .values({ tenant_id: data.tenantId, name: data.name, created_at: new Date(data.createdAt) })
        .onConflict((conflict) => conflict.column('tenant_id').doNothing())
        .execute();
      return;
    }
    case 'ApiKeyIssued': {
      const data = event.data as ApiKeyIssuedData;
      await transaction
        .insertInto('api_keys')
        .values({
          key_id: data.keyId,
          tenant_id: data.tenantId,
          name: data.name,
          secret_hash: data.hash,
          prefix: data.prefix,
          scopes: JSON.stringify(data.scopes),
          issued_at: new Date(data.issuedAt),
          expires_at: data.expiresAt ? new Date(data.expiresAt) : null,
          revoked_at: null,
        })
        .onConflict((conflict) => conflict.column('key_id').doNothing())
        .execute();
      return;
    }
    case 'ApiKeyRevoked': {
      const data = event.data as ApiKeyRevokedData;
      await transaction.updateTable('api_keys').set({ revoked_at: new Date(data.revokedAt) }).where('key_id', '=', data.keyId).execute();
      return;
    }
  }
}
