import { apiKeysProjection } from './api-keys/api-keys.projection.js';
import { conversationsProjection } from './conversations/conversations.projection.js';
import type { Projection } from './projection.js';
import { streamCatalogProjection } from './stream-catalog/stream-catalog.projection.js';

export { migrateProjections } from './migrate-projections.js';
export { rebuildProjection, type RebuildProgress } from './runner/rebuild.js';
export { runProjection, type RunningProjection } from './runner/run-projection.js';
export type { Projection } from './projection.js';
export type { ReadModelDatabase, ReadModels } from './read-model-database.js';

/** Every projection Tessera runs, by name. */
export const allProjections: readonly Projection[] = [streamCatalogProjection, apiKeysProjection, conversationsProjection];

export function findProjection(name: string): Projection | undefined {
  return allProjections.find((projection) => projection.name === name);
}
export { catchUpProjection } from './runner/catch-up.js';
