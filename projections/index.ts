import { apiKeysProjection } from './api-keys/api-keys.projection.js';
import { conversationsProjection } from './conversations/conversations.projection.js';
import { createCostLedgerProjection } from './cost-ledger/cost-ledger.projection.js';
import type { PriceTable } from './cost-ledger/price-table.js';
import type { Projection } from './projection.js';
import { streamCatalogProjection } from './stream-catalog/stream-catalog.projection.js';

export { migrateProjections } from './migrate-projections.js';
export { rebuildProjection, type RebuildProgress } from './runner/rebuild.js';
export { runProjection, type RunningProjection } from './runner/run-projection.js';
export { runProjectionGroup } from './runner/run-projection-group.js';
export type { Projection } from './projection.js';
export type { ReadModelDatabase, ReadModels } from './read-model-database.js';
export { createPriceTable, emptyPriceTable, type PricedDeployment, type PriceTable, type TokenPrices } from './cost-ledger/price-table.js';

/** What projections take from configuration. */
export interface ProjectionSettings {
  /** The prices the cost ledger charges model calls at. */
  prices: PriceTable;
}

/** Every projection that needs nothing from configuration; `configuredProjections` adds the others. */
export const allProjections: readonly Projection[] = [streamCatalogProjection, apiKeysProjection, conversationsProjection];

/** Every projection Tessera runs, as this configuration builds them. */
export function configuredProjections(settings: ProjectionSettings): readonly Projection[] {
  return [...allProjections, createCostLedgerProjection(settings.prices)];
}

export function findProjection(projections: readonly Projection[], name: string): Projection | undefined {
  return projections.find((projection) => projection.name === name);
}
export { catchUpProjection } from './runner/catch-up.js';
