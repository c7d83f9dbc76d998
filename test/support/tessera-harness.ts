import pino from 'pino';
import { runProjections } from '../../bin/commands/run-projections.js';
import { runWorkers } from '../../bin/commands/run-workers.js';
import { buildApi } from '../../bin/composition/build-api.js';
import { IN_MEMORY, openBackend, type Backend } from '../../bin/composition/open-backend.js';
import { createTenant, issueApiKey } from '../../commands/tenants.js';
import { newId } from '../../domain/shared/ids.js';
import { loadConfig } from '../../infra/config/load-config.js';
import type { Config } from '../../infra/config/settings.js';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { createTestDatabase } from './postgres-database.js';
import { projectKeys } from './project-keys.js';
import { testServices } from './services.js';

export interface RunningTessera {
  /** Base URL of the API, e.g. http://127.0.0.1:39123 */
  url: string;
  config: Config;
  backend: Backend;
  /** A tenant with a key, ready to call the API. */
  tenant: { id: string; key: string };
  /** Another tenant, for isolation tests. */
  otherTenant: { id: string; key: string };
  close(): Promise<void>;
}

export type HarnessProfile = 'embedded' | 'services';

/**
 * Tessera as `tessera all` runs it (API, projections, forwarder, pipeline workers),
 * in this process, on port 0: embedded on in-memory PGlite, or services on a fresh
 * PostgreSQL database and NATS subjects of its own.
 */
export async function startTessera(profile: HarnessProfile, environment: Record<string, string> = {}): Promise<RunningTessera> {
  const suffix = newId().replaceAll('-', '').slice(-12);
  const database = profile === 'services' ? await createTestDatabase() : undefined;
  const config = loadConfig({
    TESSERA_PROFILE: profile,
    TESSERA_DATA_DIR: IN_MEMORY,
    TESSERA_HTTP_PORT: '0',
    TESSERA_LOG_LEVEL: process.env.TESSERA_TEST_LOG_LEVEL ?? 'silent',
    TESSERA_HANDLER_BACKOFF_MS: '50,200,500',
    ...(database && {
      TESSERA_DATABASE_URL: database.url,
      TESSERA_NATS_URL: testServices.natsUrl,
      TESSERA_NATS_STREAM: `TEST_EVENTS_${suffix}`,
      TESSERA_NATS_SUBJECT_PREFIX: `test${suffix}.events`,
    }),
    ...environment,
  });
  const logger = pino({ level: config.logLevel });
  const backend = await openBackend(config, logger);
  const controller = new AbortController();
  const stopProjections = runProjections(backend, config, logger);
  const stopWorkers = await runWorkers(backend, config, logger, controller.signal);
  const app = await buildApi(backend, config, logger);
  const url = await app.listen({ host: '127.0.0.1', port: 0 });

  const makeTenant = async (name: string) => {
    const id = await createTenant(backend.store, { name, actor: 'test' });
    const { key, keyId } = await issueApiKey(backend.store, { tenantId: id, name: 'test', actor: 'test' });
    return { id, key, keyId };
  };
  const { keyId: tenantKeyId, ...tenant } = await makeTenant('Tenant A');
  const { keyId: otherKeyId, ...otherTenant } = await makeTenant('Tenant B');
  await projectKeys(backend, [tenantKeyId, otherKeyId]);

  return {
    url,
    config,
    backend,
    tenant,
    otherTenant,
    async close() {
      controller.abort();
      await app.close();
      await stopWorkers();
      await stopProjections();
      await backend.close();
      await database?.drop();
      if (database) await deleteNatsStreams(config.natsStream);
    },
  };
}

/** The streams a services deployment creates, so runs leave nothing on the shared server. */
export async function deleteNatsStreams(stream: string): Promise<void> {
  const connection = await connect({ servers: testServices.natsUrl });
  try {
    const manager = await jetstreamManager(connection);
    for (const name of [stream, `${stream}_DELTAS`, `${stream}_DEAD_LETTERS`]) {
      await manager.streams.delete(name).catch(() => false);
    }
  } finally {
    await connection.close();
  }
}
