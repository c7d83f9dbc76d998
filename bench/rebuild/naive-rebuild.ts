import { START_POSITION } from '../../domain/events/global-position.js';
import type { EventStore } from '../../infra/event-store/port.js';
import { applyBatch, resetProjection } from '../../projections/runner/apply-batch.js';
import type { Projection } from '../../projections/projection.js';
import type { ReadModels } from '../../projections/read-model-database.js';

/**
 * The baseline: the same projection and the same exactly-once checkpointing, but one
 * transaction per event, as a projector that handles events one by one would.
 */
export async function naiveRebuild(
  db: ReadModels,
  store: EventStore,
  projection: Projection,
  limit: number,
  onProgress: (done: number) => void,
): Promise<number> {
  await resetProjection(db, projection);
  let position = START_POSITION;
  let done = 0;
  while (done < limit) {
    const batch = await store.readAll({ after: position, maxCount: Math.min(1_000, limit - done) });
    for (const event of batch.events) {
      const outcome = await applyBatch(db, projection, [event], position);
      position = outcome.position;
      done += 1;
    }
    onProgress(done);
    if (batch.isEnd) break;
  }
  return done;
}
