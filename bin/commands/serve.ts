import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../../infra/config/settings.js';
import { buildApi } from '../composition/build-api.js';
import type { Backend } from '../composition/open-backend.js';

/** Starts the API; the returned stop lets open streams finish within the grace period. */
export async function serve(backend: Backend, config: Config, logger: Logger): Promise<{ app: FastifyInstance; stop: () => Promise<void> }> {
  const app = await buildApi(backend, config, logger);
  const address = await app.listen({ host: config.httpHost, port: config.httpPort });
  logger.info({ address, openapi: `${address}/openapi.json` }, 'API listening');
  return {
    app,
    async stop() {
      const closing = app.close();
      const grace = new Promise<'grace-over'>((resolve) => setTimeout(() => resolve('grace-over'), config.httpShutdownGraceMs).unref());
      if ((await Promise.race([closing, grace])) === 'grace-over') {
        logger.warn('ending open streams after the shutdown grace period; clients resume with Last-Event-ID');
        app.server.closeAllConnections();
        await closing;
      }
    },
  };
}
