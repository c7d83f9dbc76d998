import { createTenant, issueApiKey, revokeApiKey } from '../../commands/tenants.js';
import { apiKeysProjection } from '../../projections/api-keys/api-keys.projection.js';
import { catchUpProjection } from '../../projections/index.js';
import type { Backend } from '../composition/open-backend.js';
import { UsageError } from './usage-error.js';

export interface TenantCommandOptions {
  tenant?: string;
  name?: string;
  key?: string;
  scope?: string[];
  expires?: string;
  reason?: string;
}

const OPERATOR = 'operator:cli';

/** `tessera tenant create` and `tessera key issue|revoke`; keys work as soon as the command returns. */
export async function tenantCommand(backend: Backend, action: string, options: TenantCommandOptions): Promise<void> {
  switch (action) {
    case 'tenant-create': {
      if (!options.name) throw new UsageError('tenant create needs --name');
      const tenantId = await createTenant(backend.store, { tenantId: options.tenant, name: options.name, actor: OPERATOR });
      process.stdout.write(`${tenantId}\n`);
      break;
    }
    case 'key-issue': {
      if (!options.tenant) throw new UsageError('key issue needs --tenant');
      const expiresAt = options.expires ? new Date(options.expires) : undefined;
      if (expiresAt && Number.isNaN(expiresAt.getTime())) throw new UsageError('--expires must be an ISO date');
      const issued = await issueApiKey(backend.store, {
        tenantId: options.tenant,
        name: options.name ?? 'default',
        scopes: options.scope,
        expiresAt,
        actor: OPERATOR,
      });
      process.stderr.write(`key ${issued.keyId} issued; it is shown once, store it now:\n`);
      process.stdout.write(`${issued.key}\n`);
      break;
    }
    case 'key-revoke': {
      if (!options.tenant || !options.key) throw new UsageError('key revoke needs --tenant and --key <key id>');
      await revokeApiKey(backend.store, { tenantId: options.tenant, keyId: options.key, reason: options.reason, actor: OPERATOR });
      process.stdout.write(`key ${options.key} revoked\n`);
      break;
    }
    default:
      throw new UsageError(`unknown command ${action}`);
  }
  await catchUpProjection(backend.readModels, backend.store, apiKeysProjection);
}

/** Zero configuration: the embedded profile's first start creates a tenant and prints its key once. */
export async function bootstrapDefaultTenant(backend: Backend): Promise<string | undefined> {
  await catchUpProjection(backend.readModels, backend.store, apiKeysProjection);
  const known = await backend.readModels.selectFrom('tenants').select('tenant_id').limit(1).executeTakeFirst();
  if (known) return undefined;
  const tenantId = await createTenant(backend.store, { tenantId: 'default', name: 'Default tenant', actor: 'bootstrap' });
  const issued = await issueApiKey(backend.store, { tenantId, name: 'bootstrap', actor: 'bootstrap' });
  await catchUpProjection(backend.readModels, backend.store, apiKeysProjection);
  return issued.key;
}
