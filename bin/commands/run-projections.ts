import type { Logger } from 'pino';
import type { Config } from '../../infra/config/settings.js';
import { runProjectionGroup } from '../../projections/index.js';
import type { Backend } from '../composition/open-backend.js';

/**
 * Runs every projection live, as one group: one reader of the log and one transaction
 * per batch for all of them. Several processes may do so; the checkpoints keep them apart.
 */
export function runProjections(backend: Backend, config: Config, logger: Logger): () => Promise<void> {
  const running = runProjectionGroup(backend.readModels, backend.store, backend.projections, {
    batchSize: config.projectionBatchSize,
    lingerMs: config.projectionLingerMs,
    conversationView: backend.conversationView,
    onError: (error, names) => logger.error({ err: error, projections: names }, 'projections failed; resuming from their checkpoints'),
  });
  logger.info({ projections: backend.projections.map((projection) => projection.name) }, 'projections running');
  return () => running.stop();
}
