import type { EventStore } from '../../infra/event-store/port.js';
import { readCheckpoint } from '../checkpoints/checkpoint-store.js';
import type { Projection } from '../projection.js';
import type { ReadModels } from '../read-model-database.js';
import { applyBatch, resetProjection } from './apply-batch.js';

/**
 * Brings a projection up to the end of the log once and returns: for command-line
 * tools that must see their own writes (a key issued is usable when the command
 * ends). Safe beside live runners: the checkpoint comparison keeps them apart.
 */
export async function catchUpProjection(db: ReadModels, store: EventStore, projection: Projection, batchSize = 1_000): Promise<void> {
  let checkpoint = await readCheckpoint(db, projection.name);
  if (!checkpoint || checkpoint.version !== projection.version) {
    await resetProjection(db, projection);
    checkpoint = await readCheckpoint(db, projection.name);
  }
  let position = checkpoint!.position;
  for (;;) {
    const batch = await store.readAll({ after: position, maxCount: batchSize });
    const outcome = await applyBatch(db, projection, batch.events, position);
    position = outcome.position;
    if (outcome.kind === 'applied' && batch.isEnd) return;
  }
}
