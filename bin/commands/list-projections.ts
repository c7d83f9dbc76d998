import { readCheckpoint } from '../../projections/checkpoints/checkpoint-store.js';
import type { Backend } from '../composition/open-backend.js';

/** `tessera project list`: each projection with its checkpoint. */
export async function listProjections(backend: Backend): Promise<void> {
  for (const projection of backend.projections) {
    const checkpoint = await readCheckpoint(backend.readModels, projection.name);
    const state = checkpoint
      ? `version ${checkpoint.version}, ${checkpoint.eventsApplied} events applied, at ${checkpoint.position}`
      : 'never run';
    const stale = checkpoint && checkpoint.version !== projection.version ? ` (code is version ${projection.version}: rebuilds on next start)` : '';
    process.stdout.write(`${projection.name}: ${state}${stale}\n`);
  }
}
