import type { ReadModels } from '../read-model-database.js';
import { START_POSITION } from '../../domain/events/global-position.js';
import type { EventStore } from '../../infra/event-store/port.js';
import type { Projection } from '../projection.js';
import { applyBatch, resetProjection } from './apply-batch.js';

export interface RebuildProgress {
  /** Events read from the log so far. */
  read: number;
  /** Events the projection handled (its declared types). */
  applied: number;
  /** Events in the log when the rebuild started, where the store can count them. */
  total?: number;
}

export interface RebuildOptions {
  batchSize?: number;
  onProgress?: (progress: RebuildProgress) => void;
}

/**
 * Rebuilds from position 0 with large batches: one read and one transaction per
 * batch. A live runner of the same projection, if any, notices the reset checkpoint
 * and follows instead of writing twice.
 */
export async function rebuildProjection(
  db: ReadModels,
  store: EventStore,
  projection: Projection,
  options: RebuildOptions = {},
): Promise<RebuildProgress> {
  const batchSize = options.batchSize ?? 2_000;
  const progress: RebuildProgress = { read: 0, applied: 0, total: await store.countEvents?.() };
  await resetProjection(db, projection);
  let position = START_POSITION;
  let reading = store.readAll({ after: position, maxCount: batchSize });
  for (;;) {
    const batch = await reading;
    // The next read overlaps this batch's transaction.
    if (!batch.isEnd) reading = store.readAll({ after: batch.lastPosition, maxCount: batchSize });
    const outcome = await applyBatch(db, projection, batch.events, position);
    if (outcome.kind === 'moved') {
      // A live runner applied it first; follow from where it got to.
      position = outcome.position;
      reading = store.readAll({ after: position, maxCount: batchSize });
      continue;
    }
    position = outcome.position;
    progress.read += batch.events.length;
    progress.applied += outcome.applied;
    options.onProgress?.({ ...progress });
    if (batch.isEnd) return progress;
  }
}
