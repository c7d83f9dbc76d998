import type { ReadModels } from '../../projections/read-model-database.js';
import { unauthorized } from '../errors/api-error.js';
import { parseApiKey, secretMatches } from '../../commands/api-key-secret.js';
import type { Principal } from './principal.js';

export interface ApiKeyAuthenticatorOptions {
  /** How long a looked-up key is trusted before it is read again (bounds revocation delay). */
  cacheTtlMs?: number;
  now?: () => number;
}

interface CachedKey {
  row: { tenant_id: string; secret_hash: string; scopes: string[]; expires_at: Date | null; revoked_at: Date | null } | undefined;
  fetchedAt: number;
}

/**
 * Resolves `Authorization: Bearer tsk_…` to a principal. Lookups are cached briefly
 * per key id, so a hot key costs one read per TTL; a revoked key stops working within
 * that TTL. Every failure reads the same to the caller.
 */
export function createApiKeyAuthenticator(db: ReadModels, options: ApiKeyAuthenticatorOptions = {}) {
  const ttl = options.cacheTtlMs ?? 2_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, CachedKey>();

  const lookup = async (keyId: string): Promise<CachedKey['row']> => {
    const cached = cache.get(keyId);
    if (cached && now() - cached.fetchedAt < ttl) return cached.row;
    const row = await db
      .selectFrom('api_keys')
      .select(['tenant_id', 'secret_hash', 'scopes', 'expires_at', 'revoked_at'])
      .where('key_id', '=', keyId)
      .executeTakeFirst();
    if (cache.size > 10_000) cache.clear();
    cache.set(keyId, { row, fetchedAt: now() });
    return row;
  };

  return async function authenticate(header: string | undefined): Promise<Principal> {
    if (!header) throw unauthorized('an API key is required: Authorization: Bearer tsk_…');
    const [scheme, token] = header.split(' ');
    const parsed = scheme?.toLowerCase() === 'bearer' && token ? parseApiKey(token) : undefined;
    if (!parsed) throw unauthorized('the Authorization header is not a Tessera API key');
    const row = await lookup(parsed.keyId);
    const valid =
      row &&
      !row.revoked_at &&
      (!row.expires_at || row.expires_at.getTime() > now()) &&
      secretMatches(parsed.secret, row.secret_hash);
    if (!valid) throw unauthorized('the API key is unknown, revoked or expired');
    return { tenantId: row.tenant_id, keyId: parsed.keyId, scopes: row.scopes };
  };
}

export type Authenticate = ReturnType<typeof createApiKeyAuthenticator>;
