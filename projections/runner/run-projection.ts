import type { ReadModels } from '../read-model-database.js';
import type { GlobalPosition } from '../../domain/events/global-position.js';
import { microBatches } from '../../infra/event-store/micro-batches.js';
import { keepRunning } from '../../infra/keep-running.js';
import type { EventStore } from '../../infra/event-store/port.js';
import { readCheckpoint } from '../checkpoints/checkpoint-store.js';
import type { Projection } from '../projection.js';
import { applyBatch, resetProjection } from './apply-batch.js';

export interface RunProjectionOptions {
  batchSize?: number;
  /** Told about failures; the runner backs off and resumes from its checkpoint. */
  onError?: (error: unknown, projection: string) => void;
}

export interface RunningProjection {
  stop(): Promise<void>;
}

/**
 * Keeps a projection up to date: resumes at its checkpoint (rebuilding first when its
 * version changed), applies live events in micro-batches, and restarts from the
 * stored checkpoint whenever another runner or a rebuild moved it.
 */
export function runProjection(
  db: ReadModels,
  store: EventStore,
  projection: Projection,
  options: RunProjectionOptions = {},
): RunningProjection {
  const controller = new AbortController();

  const startPosition = () => positionToResume(db, projection);

  const follow = async () => {
    let position = await startPosition();
    const subscription = store.subscribeToAll({
      after: position,
      signal: controller.signal,
      onError: (error) => options.onError?.(error, projection.name),
    });
    try {
      for await (const batch of microBatches(subscription, options.batchSize ?? 500)) {
        const outcome = await applyBatch(db, projection, batch, position);
        if (outcome.kind === 'moved') return;
        position = outcome.position;
      }
    } finally {
      await subscription.close();
    }
  };

  const loop = keepRunning(controller.signal, follow, (error) => options.onError?.(error, projection.name));

  return {
    async stop() {
      controller.abort();
      await loop;
    },
  };
}

/** Where a projection resumes: its checkpoint, or position 0 after a reset when its version changed. */
export async function positionToResume(db: ReadModels, projection: Projection): Promise<GlobalPosition> {
  const checkpoint = await readCheckpoint(db, projection.name);
  if (!checkpoint || checkpoint.version !== projection.version) {
    await resetProjection(db, projection);
    return (await readCheckpoint(db, projection.name))!.position;
  }
  return checkpoint.position;
}
