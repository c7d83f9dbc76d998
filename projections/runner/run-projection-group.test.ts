import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { positionParts, toGlobalPosition } from '../../domain/events/global-position.js';
import { streamId } from '../../domain/shared/stream-id.js';
import { sqlBackends, type SqlBackend } from '../../test/support/sql-backends.js';
import { appendMany, endOfLog } from '../../test/support/projection-test-log.js';
import { readCheckpoint, waitForCheckpoint } from '../checkpoints/checkpoint-store.js';
import { createConversationViewTracker } from '../conversations/conversation-view-progress.js';
import { conversationsProjection } from '../conversations/conversations.projection.js';
import { migrateProjections } from '../migrate-projections.js';
import { streamCatalogProjection } from '../stream-catalog/stream-catalog.projection.js';
import { rebuildProjection } from './rebuild.js';
import { runProjectionGroup } from './run-projection-group.js';

/**
 * Projections run as a group share one subscription and one transaction per batch,
 * yet each keeps its own checkpoint: the same tables as alone, each event once.
 */
describe.each(Object.entries(sqlBackends))('projections run as a group on %s', (_name, createBackend) => {
  let backend: SqlBackend;
  const group = [streamCatalogProjection, conversationsProjection];
  const catalog = () => backend.db.selectFrom('stream_catalog').selectAll().orderBy('stream_id').execute();

  beforeAll(async () => {
    backend = await createBackend();
    await migrateProjections(backend.db, group);
  });
  afterAll(() => backend.teardown());

  it('gives each projection the tables it gets alone, and moves every checkpoint to the end', async () => {
    await appendMany(backend.store, 8, 4);
    const running = runProjectionGroup(backend.db, backend.store, group, { batchSize: 7 });
    await appendMany(backend.store, 4, 3);
    const end = await endOfLog(backend.store);
    for (const projection of group) await waitForCheckpoint(backend.db, projection.name, end);
    await running.stop();
    const live = await catalog();
    expect(live.reduce((sum, row) => sum + Number(row.event_count), 0)).toBe(44);
    expect((await readCheckpoint(backend.db, conversationsProjection.name))?.position).toBe(end);

    await rebuildProjection(backend.db, backend.store, streamCatalogProjection, { batchSize: 10 });
    expect(await catalog()).toEqual(live);
  });

  it('has commits announced at once when a prompt waits for its conversation’s view, since the turn’s end may have been announced quietly', async () => {
    const conversationView = createConversationViewTracker();
    let announcedNow = 0;
    const store = { ...backend.store, announceNow: () => void (announcedNow += 1) };
    const running = runProjectionGroup(backend.db, store, group, { conversationView, lingerMs: 10 });
    const end = await endOfLog(backend.store);
    // An end the view cannot reach: the wait must run out, the announcement having been asked for.
    const beyondTheLog = toGlobalPosition(positionParts(end).commit + 1_000_000n, 0n);
    conversationView.noted({ streamId: streamId('turn', 'waited-for'), type: 'TurnRequested', data: { conversationId: 'conversation-waited-for' } }, end);
    conversationView.noted({ streamId: streamId('turn', 'waited-for'), type: 'TurnCompleted', data: {} }, beyondTheLog);
    expect(announcedNow).toBe(0);
    const current = conversationView.untilCurrent('conversation-waited-for', 50);
    expect(announcedNow).toBe(1);
    expect(await current).toBe(false);
    await running.stop();
  });

  it('lets two group runners share the work without double counting', async () => {
    const runners = [
      runProjectionGroup(backend.db, backend.store, group, { batchSize: 3 }),
      runProjectionGroup(backend.db, backend.store, group, { batchSize: 5 }),
    ];
    await appendMany(backend.store, 6, 6);
    const end = await endOfLog(backend.store);
    for (const projection of group) await waitForCheckpoint(backend.db, projection.name, end);
    await Promise.all(runners.map((runner) => runner.stop()));
    const total = (await catalog()).reduce((sum, row) => sum + Number(row.event_count), 0);
    expect(total).toBe(await backend.store.countEvents!());
  });

  it('brings a member whose version changed up from position 0 while the others carry on from their checkpoints', async () => {
    await backend.db.updateTable('stream_catalog').set({ event_count: '999' }).execute();
    const bumped = { ...streamCatalogProjection, version: streamCatalogProjection.version + 1 };
    const conversationsBefore = await readCheckpoint(backend.db, conversationsProjection.name);
    const running = runProjectionGroup(backend.db, backend.store, [bumped, conversationsProjection]);
    await waitForCheckpoint(backend.db, bumped.name, await endOfLog(backend.store), { version: bumped.version });
    await running.stop();
    const rows = await catalog();
    expect(rows.some((row) => row.event_count === '999')).toBe(false);
    expect(rows.reduce((sum, row) => sum + Number(row.event_count), 0)).toBe(await backend.store.countEvents!());
    expect((await readCheckpoint(backend.db, conversationsProjection.name))?.position).toBe(conversationsBefore?.position);
  });
});
