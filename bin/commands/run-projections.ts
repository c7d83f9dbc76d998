import type { Logger } from 'pino';
import type { Config } from '../../infra/config/settings.js';
import { runProjection } from '../../projections/index.js';
import type { Backend } from '../composition/open-backend.js';

/** Runs every projection live; several processes may do so, the checkpoints keep them apart. */
export function runProjections(backend: Backend, config: Config, logger: Logger): () => Promise<void> {
  const running = backend.projections.map((projection) =>
    runProjection(backend.readModels, backend.store, projection, {
      batchSize: config.projectionBatchSize,
      onError: (error, name) => logger.error({ err: error, projection: name }, 'projection failed; resuming from its checkpoint'),
    }),
  );
  logger.info({ projections: backend.projections.map((projection) => projection.name) }, 'projections running');
  return async () => {
    await Promise.all(running.map((projection) => projection.stop()));
  };
}
