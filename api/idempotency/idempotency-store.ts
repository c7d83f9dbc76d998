import { createHash } from 'node:crypto';
import { migrateToLatest } from '../../infra/sql/migrate.js';
import type { ReadModels } from '../../projections/read-model-database.js';
import { canonicalJson } from '../../gateway/cache/canonical-json.js';
import { ApiError } from '../errors/api-error.js';
import * as createIdempotencyKeys from './migrations/2026-11-23-0001-create-idempotency-keys.js';

export async function migrateIdempotencyKeys(db: ReadModels): Promise<void> {
  await migrateToLatest(db, { '2026-11-23-0001-create-idempotency-keys': createIdempotencyKeys }, 'tessera_api_idempotency');
}

export type IdempotencyOutcome = { kind: 'new' } | { kind: 'replay'; statusCode: number; response: unknown };

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const KEY_REUSED = (detail: string) => new ApiError(422, 'TESSERA_IDEMPOTENCY_KEY_REUSED', detail, 'headers.idempotency-key');

/**
 * Remembers the first response to each (tenant, Idempotency-Key): the same key with
 * the same body gets that response again; with another body or route, a 422; while
 * the first request is still running, a 409 the client can retry.
 */
export function createIdempotencyStore(db: ReadModels, retentionMs = 24 * 3_600_000, maxResponseBytes = 16 * 1024 * 1024) {
  return {
    async begin(tenantId: string, key: string, route: string, body: unknown): Promise<IdempotencyOutcome> {
      // Canonical: the same body with its keys written in another order is the same request.
      const bodyHash = sha256(canonicalJson(body ?? null));
      const inserted = await db
        .insertInto('api_idempotency_keys')
        .values({ tenant_id: tenantId, idempotency_key: key, route, body_hash: bodyHash, status_code: null, response: null })
        .onConflict((conflict) => conflict.columns(['tenant_id', 'idempotency_key']).doNothing())
        .returning('tenant_id')
        .executeTakeFirst();
      if (inserted) return { kind: 'new' };
      const existing = await db
        .selectFrom('api_idempotency_keys')
        .select(['route', 'body_hash', 'status_code', 'response', 'created_at'])
        .where('tenant_id', '=', tenantId)
        .where('idempotency_key', '=', key)
        .executeTakeFirstOrThrow();
      if (existing.created_at.getTime() < Date.now() - retentionMs) {
        await db.deleteFrom('api_idempotency_keys').where('tenant_id', '=', tenantId).where('idempotency_key', '=', key).execute();
        return this.begin(tenantId, key, route, body);
      }
      if (existing.route !== route) throw KEY_REUSED(`this Idempotency-Key was used for ${existing.route}`);
      // Keys recorded before bodies were hashed canonically (within the retention) still match their repeat.
      if (existing.body_hash !== bodyHash && existing.body_hash !== sha256(JSON.stringify(body ?? null))) {
        throw KEY_REUSED('this Idempotency-Key was used with a different body');
      }
      if (existing.status_code === null) {
        throw new ApiError(409, 'TESSERA_IDEMPOTENT_REQUEST_IN_PROGRESS', 'the first request with this Idempotency-Key is still running; retry shortly', 'headers.idempotency-key', { 'retry-after': '1' });
      }
      return { kind: 'replay', statusCode: existing.status_code, response: existing.response };
    },

    /**
     * Keeps the response for repeats. One larger than `maxResponseBytes` (a large
     * embeddings batch) is not kept and the key is freed: a repeat runs again.
     */
    async finish(tenantId: string, key: string, statusCode: number, response: unknown): Promise<boolean> {
      const json = JSON.stringify(response);
      if (Buffer.byteLength(json) > maxResponseBytes) {
        await this.abandon(tenantId, key);
        return false;
      }
      await db
        .updateTable('api_idempotency_keys')
        .set({ status_code: statusCode, response: json })
        .where('tenant_id', '=', tenantId)
        .where('idempotency_key', '=', key)
        .execute();
      return true;
    },

    /** Lets a failed first attempt be retried with the same key. */
    async abandon(tenantId: string, key: string): Promise<void> {
      await db.deleteFrom('api_idempotency_keys').where('tenant_id', '=', tenantId).where('idempotency_key', '=', key).where('status_code', 'is', null).execute();
    },
  };
}

export type IdempotencyStore = ReturnType<typeof createIdempotencyStore>;
