import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../domain/shared/ids.js';
import { streamId } from '../../domain/shared/stream-id.js';
import { sqlBackends, type SqlBackend } from '../../test/support/sql-backends.js';
import { appendMany, endOfLog } from '../../test/support/projection-test-log.js';
import { itemAdded } from '../../test/support/test-events.js';
import { readCheckpoint, waitForCheckpoint } from '../checkpoints/checkpoint-store.js';
import { migrateProjections } from '../migrate-projections.js';
import { streamCatalogProjection } from '../stream-catalog/stream-catalog.projection.js';
import { applyBatch } from './apply-batch.js';
import { rebuildProjection } from './rebuild.js';
import { runProjection } from './run-projection.js';

async function catalog(backend: SqlBackend) {
  return backend.db
    .selectFrom('stream_catalog')
    .selectAll()
    .orderBy('stream_id')
    .execute();
}

describe.each(Object.entries(sqlBackends))('projection runner on %s', (_name, createBackend) => {
  let backend: SqlBackend;

  beforeAll(async () => {
    backend = await createBackend();
    await migrateProjections(backend.db, [streamCatalogProjection]);
  });
  afterAll(() => backend.teardown());

  it('gives the same tables by live catch-up and by rebuild from position 0', async () => {
    await appendMany(backend.store, 12, 5);
    const live = runProjection(backend.db, backend.store, streamCatalogProjection, { batchSize: 7 });
    await appendMany(backend.store, 5, 3);
    await waitForCheckpoint(backend.db, streamCatalogProjection.name, await endOfLog(backend.store));
    await live.stop();
    const fromLive = await catalog(backend);
    expect(fromLive).toHaveLength(17);
    expect(fromLive.map((row) => Number(row.event_count)).sort()).toEqual([...Array<number>(5).fill(3), ...Array<number>(12).fill(5)]);

    const progress = await rebuildProjection(backend.db, backend.store, streamCatalogProjection, { batchSize: 10 });
    expect(progress.read).toBe(75);
    expect(progress.total).toBe(75);
    expect(await catalog(backend)).toEqual(fromLive);
  });

  it('applies each event once even when a batch is offered twice', async () => {
    const before = await readCheckpoint(backend.db, streamCatalogProjection.name);
    const stream = streamId('cart', newId());
    await backend.store.appendToStream(stream, [itemAdded('once')]);
    let batch = (await backend.store.readAll({ after: before!.position })).events;
    // Held back while another test's transaction is open on the same server.
    while (!batch.some((event) => event.streamId === stream)) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      batch = (await backend.store.readAll({ after: before!.position })).events;
    }
    const first = await applyBatch(backend.db, streamCatalogProjection, batch, before!.position);
    const second = await applyBatch(backend.db, streamCatalogProjection, batch, before!.position);
    expect(first.kind).toBe('applied');
    expect(second).toEqual({ kind: 'moved', position: batch.at(-1)!.position });
    const row = await backend.db.selectFrom('stream_catalog').selectAll().where('stream_id', '=', stream).executeTakeFirst();
    expect(Number(row?.event_count)).toBe(1);
  });

  it('lets two runners of one projection share the work without double counting', async () => {
    const runners = [
      runProjection(backend.db, backend.store, streamCatalogProjection, { batchSize: 3 }),
      runProjection(backend.db, backend.store, streamCatalogProjection, { batchSize: 5 }),
    ];
    await appendMany(backend.store, 6, 6);
    await waitForCheckpoint(backend.db, streamCatalogProjection.name, await endOfLog(backend.store));
    await Promise.all(runners.map((runner) => runner.stop()));
    const total = (await catalog(backend)).reduce((sum, row) => sum + Number(row.event_count), 0);
    expect(total).toBe(await backend.store.countEvents!());
  });

  it('rebuilds when the projection version changes', async () => {
    await backend.db.updateTable('stream_catalog').set({ event_count: '999' }).execute();
    const bumped = { ...streamCatalogProjection, version: streamCatalogProjection.version + 1 };
    const runner = runProjection(backend.db, backend.store, bumped);
    await waitForCheckpoint(backend.db, bumped.name, await endOfLog(backend.store), { version: bumped.version });
    await runner.stop();
    const rows = await catalog(backend);
    expect(rows.some((row) => row.event_count === '999')).toBe(false);
    expect((await readCheckpoint(backend.db, bumped.name))?.version).toBe(bumped.version);
  });
});
