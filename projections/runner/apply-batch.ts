import type { ReadModels } from '../read-model-database.js';
import type { RecordedEvent } from '../../domain/events/envelope.js';
import { START_POSITION, type GlobalPosition } from '../../domain/events/global-position.js';
import { readCheckpoint, writeCheckpoint } from '../checkpoints/checkpoint-store.js';
import type { Projection } from '../projection.js';
import { projectionTransaction } from './projection-transaction.js';

export type ApplyOutcome =
  | { kind: 'applied'; position: GlobalPosition; applied: number }
  /** Another runner advanced the checkpoint, or a rebuild reset it: continue from `position`. */
  | { kind: 'moved'; position: GlobalPosition };

/**
 * Applies a batch and moves the checkpoint in one transaction. The checkpoint row is
 * locked and compared first, so two runners of one projection (or a runner and a
 * rebuild) never apply the same event twice.
 */
export async function applyBatch(
  db: ReadModels,
  projection: Projection,
  events: readonly RecordedEvent[],
  expectedPosition: GlobalPosition,
): Promise<ApplyOutcome> {
  const last = events.at(-1);
  if (!last) return { kind: 'applied', position: expectedPosition, applied: 0 };
  const handled = projection.eventTypes === 'all' ? undefined : new Set(projection.eventTypes);
  return projectionTransaction(db, async (transaction) => {
    const checkpoint = await readCheckpoint(transaction, projection.name, { forUpdate: true });
    const current = checkpoint?.position ?? START_POSITION;
    if (current !== expectedPosition) return { kind: 'moved', position: current };
    const relevant = handled ? events.filter((event) => handled.has(event.type)) : events;
    if (relevant.length > 0) await projection.apply(transaction, relevant);
    await writeCheckpoint(transaction, projection.name, {
      position: last.position,
      version: projection.version,
      eventsApplied: (checkpoint?.eventsApplied ?? 0) + relevant.length,
    });
    return { kind: 'applied', position: last.position, applied: relevant.length };
  });
}

/** Empties the projection's tables and sets its checkpoint back to the start, atomically. */
export async function resetProjection(db: ReadModels, projection: Projection): Promise<void> {
  await projectionTransaction(db, async (transaction) => {
    await readCheckpoint(transaction, projection.name, { forUpdate: true });
    for (const table of projection.tables) {
      await transaction.deleteFrom(table).execute();
    }
    await writeCheckpoint(transaction, projection.name, { position: START_POSITION, version: projection.version });
  });
}
