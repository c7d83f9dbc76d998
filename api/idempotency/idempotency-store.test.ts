import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlBackends, type SqlBackend } from '../../test/support/sql-backends.js';
import { createIdempotencyStore, migrateIdempotencyKeys } from './idempotency-store.js';

describe.each(['postgresql', 'pglite'] as const)('the Idempotency-Key store (%s)', (backend) => {
  let sql: SqlBackend;
  beforeAll(async () => {
    sql = await sqlBackends[backend]();
    await migrateIdempotencyKeys(sql.db);
  });
  afterAll(() => sql.teardown());

  it('gives a repeat the first response, and refuses the key with another body', async () => {
    const store = createIdempotencyStore(sql.db);
    expect(await store.begin('tenant-a', 'key-1', 'POST /v1/things {}', { n: 1 })).toEqual({ kind: 'new' });
    expect(await store.finish('tenant-a', 'key-1', 201, { id: 'thing-1' })).toBe(true);
    expect(await store.begin('tenant-a', 'key-1', 'POST /v1/things {}', { n: 1 })).toEqual({ kind: 'replay', statusCode: 201, response: { id: 'thing-1' } });
    await expect(store.begin('tenant-a', 'key-1', 'POST /v1/things {}', { n: 2 })).rejects.toMatchObject({ code: 'TESSERA_IDEMPOTENCY_KEY_REUSED' });
    // Keys are the tenant's own.
    expect(await store.begin('tenant-b', 'key-1', 'POST /v1/things {}', { n: 2 })).toEqual({ kind: 'new' });
  });

  it('takes the same body with its keys in another order, at any depth, as the same request', async () => {
    const store = createIdempotencyStore(sql.db);
    expect(await store.begin('tenant-a', 'key-order', 'POST /v1/things {}', { metadata: { a: '1', b: '2' }, n: 1 })).toEqual({ kind: 'new' });
    await store.finish('tenant-a', 'key-order', 201, { id: 'thing-2' });
    expect(await store.begin('tenant-a', 'key-order', 'POST /v1/things {}', { n: 1, metadata: { b: '2', a: '1' } })).toMatchObject({ kind: 'replay' });
    await expect(store.begin('tenant-a', 'key-order', 'POST /v1/things {}', { n: 1, metadata: { b: '2', a: '3' } })).rejects.toMatchObject({ code: 'TESSERA_IDEMPOTENCY_KEY_REUSED' });
  });

  it('keeps no response larger than its bound, and frees the key so a repeat runs again', async () => {
    const store = createIdempotencyStore(sql.db, 60_000, 1_024);
    expect(await store.begin('tenant-a', 'key-big', 'POST /v1/embeddings {}', { input: 'x' })).toEqual({ kind: 'new' });
    expect(await store.finish('tenant-a', 'key-big', 200, { vectors: 'v'.repeat(2_000) })).toBe(false);
    expect(await store.begin('tenant-a', 'key-big', 'POST /v1/embeddings {}', { input: 'x' })).toEqual({ kind: 'new' });
    expect(await store.finish('tenant-a', 'key-big', 200, { vectors: 'v'.repeat(100) })).toBe(true);
    expect(await store.begin('tenant-a', 'key-big', 'POST /v1/embeddings {}', { input: 'x' })).toMatchObject({ kind: 'replay' });
  });
});
