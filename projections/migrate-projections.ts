import { migrateToLatest } from '../infra/sql/migrate.js';
import { migrateCheckpoints } from './checkpoints/checkpoint-store.js';
import type { Projection } from './projection.js';
import type { ReadModels } from './read-model-database.js';

/** Creates the checkpoint table and every projection's tables. */
export async function migrateProjections(db: ReadModels, projections: readonly Projection[]): Promise<void> {
  await migrateCheckpoints(db);
  for (const projection of projections) {
    await migrateToLatest(db, projection.migrations, `tessera_projection_${projection.name.replaceAll('-', '_')}`);
  }
}
