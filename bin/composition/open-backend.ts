import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import pg from 'pg';
import { createEventRegistry } from '../../domain/events/all-event-types.js';
import type { Config } from '../../infra/config/settings.js';
import { createInProcessBus } from '../../infra/bus/in-process/index.js';
import { createNatsBus } from '../../infra/bus/nats/index.js';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { createInProcessDeltaChannel } from '../../infra/deltas/in-process/in-process-delta-channel.js';
import { createNatsDeltaChannel } from '../../infra/deltas/nats/nats-delta-channel.js';
import type { DeltaChannel } from '../../infra/deltas/port.js';
import { withLocalDelivery } from '../../infra/deltas/local-first-delta-channel.js';
import { hearConnectionErrors } from '../../infra/sql/hear-connection-errors.js';
import type { Bus } from '../../infra/bus/port.js';
import type { EventStore } from '../../infra/event-store/port.js';
import { observeAppends, type AppendListener } from '../../infra/event-store/append-observer.js';
import { withEventSchemas } from '../../infra/event-store/schema-checked-event-store.js';
import { createPgliteEventStore, migratePgliteEventLog } from '../../infra/event-store/sql/pglite-event-store.js';
import { createPostgresEventStore, migratePostgresEventLog } from '../../infra/event-store/sql/postgres-event-store.js';
import { createPgliteKysely, createPostgresKysely } from '../../infra/sql/kysely.js';
import { openPglite } from '../../infra/sql/pglite.js';
import { createConversationViewTracker, type ConversationViewTracker } from '../../projections/conversations/conversation-view-progress.js';
import { configuredProjections, migrateProjections, type Projection, type ReadModelDatabase, type ReadModels } from '../../projections/index.js';
import type { ModelRegistry } from '../../gateway/model-registry.js';
import { LocalTurnDrives } from '../../handlers/turn/turn-pipeline-context.js';
import { ensureDatabaseExists } from './ensure-database.js';
import { openCaches, type Caches } from './response-cache.js';
import type { ResponseCache } from '../../gateway/cache/response-cache.js';
import type { EmbeddingCache } from '../../gateway/cache/embedding-cache.js';
import { createBudgetGuard, type BudgetGuard } from '../../gateway/budgets/index.js';
import { createModels } from './models.js';
import { createBreakerJournal } from '../../commands/breaker-journal.js';
import { loadPriceTable } from './price-table.js';
import { createGatewayMetrics } from '../../infra/telemetry/gateway-metrics.js';
import { createPrometheusMetrics, type PrometheusMetrics } from '../../infra/telemetry/prometheus-metrics.js';

/** The parts every command works with, chosen by the profile. */
export interface Backend {
  store: EventStore;
  readModels: ReadModels;
  /** Opened on first use: `project` and `replay` never need it. */
  bus(): Promise<Bus>;
  /** Token deltas of model calls in flight; opened on first use. */
  deltas(): Promise<DeltaChannel>;
  /** The process's models: one gateway, so API and workers share its breakers and retry budget. */
  models(): ModelRegistry;
  /** The process's metrics, scraped at `GET /metrics`; absent when TESSERA_METRICS_ENABLED is false. */
  metrics?: PrometheusMetrics;
  /** Tells listeners which stream this process just appended to. */
  onAppended: (listener: AppendListener) => () => void;
  /** Budgets of this process: one guard, so its caches serve the API's checks and the model calls alike. */
  budgetGuard(): BudgetGuard;
  /** The exact-match response cache (Redis in the services profile), opened on first use; none when disabled. */
  responseCache(): Promise<ResponseCache | undefined>;
  /** Vectors per input text, beside the response cache; none when caching is disabled. */
  embeddingCache(): Promise<EmbeddingCache | undefined>;
  /** Names this process in ModelCallStarted, so it can tell its own calls from another process's. */
  processId: string;
  /** Turns the API of this process is driving, so this process's workers wait for them. */
  turnDrives: LocalTurnDrives;
  /** The conversation view's progress, fed by this process's appends and, where they run here, its projections. */
  conversationView: ConversationViewTracker;
  /** Every projection, built from this configuration (the cost ledger's prices). */
  projections: readonly Projection[];
  /** True when other processes may run the same workers (leader election matters). */
  shared: boolean;
  close(): Promise<void>;
}

/** `TESSERA_DATA_DIR=:memory:` keeps the embedded database in memory (demos, tests). */
export const IN_MEMORY = ':memory:';

export async function openBackend(config: Config, logger: Logger): Promise<Backend> {
  const projections = configuredProjections({ prices: loadPriceTable(config) });
  const turnDrives = new LocalTurnDrives();
  const storage = await openStorage(config, logger, projections, turnDrives);
  const observed = observeAppends(storage.store);
  const conversationView = createConversationViewTracker();
  observed.onAppended((_streamId, written, position) => {
    for (const event of written ?? []) conversationView.noted(event, position);
  });
  const backend = { ...storage, store: observed.store };
  const metrics = config.metricsEnabled ? createPrometheusMetrics() : undefined;
  const gatewayMetrics = metrics && createGatewayMetrics(metrics.meter('tessera-gateway'));
  let models: ModelRegistry | undefined;
  let caches: Promise<Caches | undefined> | undefined;
  const openedCaches = () => (caches ??= openCaches(config, logger));
  let budgetGuard: BudgetGuard | undefined;
  const processId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const breakerJournal = createBreakerJournal({ store: backend.store, processId, logger });
  return {
    ...backend,
    projections,
    conversationView,
    onAppended: observed.onAppended,
    turnDrives,
    processId,
    responseCache: async () => (await openedCaches())?.responses,
    embeddingCache: async () => (await openedCaches())?.vectors,
    budgetGuard: () => (budgetGuard ??= createBudgetGuard({
        store: backend.store,
        settleLingerMs: config.budgetSettleLingerMs,
        holdsAhead: config.budgetHoldsAhead,
        holdLifetime: { holdMs: config.budgetHoldLifetimeMs, callMs: config.modelCallLeaseMs },
      })),
    metrics,
    models: () =>
      (models ??= createModels(config, {
        onBreakerStateChange: (deployment, state, { from, cause }) => {
          logger.warn({ deployment, from, state, cause }, 'circuit breaker changed state');
          gatewayMetrics?.breakerStateChanged(deployment, state);
          breakerJournal.record({ deployment, from, to: state, ...(cause && { cause: { errorKind: cause.kind, message: cause.message } }) });
        },
        onAttempt: gatewayMetrics?.attempted,
      })),
    async close() {
      await (await caches)?.close();
      await budgetGuard?.close();
      await breakerJournal.close();
      await backend.close();
      await metrics?.shutdown();
    },
  };
}

async function openStorage(config: Config, logger: Logger, projections: readonly Projection[], turnDrives: LocalTurnDrives): Promise<Omit<Backend, 'models' | 'turnDrives' | 'processId' | 'responseCache' | 'embeddingCache' | 'budgetGuard' | 'onAppended' | 'projections' | 'conversationView'>> {
  const registry = createEventRegistry();
  const closers: (() => Promise<void>)[] = [];
  const pollIntervalMs = config.subscriptionPollMs;
  const announceAfterMs = config.subscriptionAnnounceMs;
  const quietAnnounceAfterMs = config.subscriptionQuietAnnounceMs;
  const onConnectionError = (error: Error) => logger.warn({ err: error }, 'database connection lost; reconnecting');

  if (config.profile === 'embedded') {
    const inMemory = config.dataDirectory === IN_MEMORY;
    const directory = inMemory ? undefined : resolve(config.dataDirectory, 'pglite');
    if (directory) mkdirSync(directory, { recursive: true });
    logger.info({ directory: directory ?? 'in memory' }, 'embedded profile: opening PGlite');
    const pglite = await openPglite(directory, { sharedBuffersMb: config.embeddedSharedBuffersMb, optimizeWasm: config.embeddedOptimizeWasm });
    await migratePgliteEventLog(pglite);
    const readModels = createPgliteKysely<ReadModelDatabase>(pglite, { preparedStatements: config.databasePreparedStatements });
    await migrateProjections(readModels, projections);
    const store = await chooseStore(config, () => createPgliteEventStore(pglite, { pollIntervalMs, announceAfterMs, quietAnnounceAfterMs, preparedStatements: config.databasePreparedStatements }));
    let bus: Bus | undefined;
    let deltas: DeltaChannel | undefined;
    return {
      store: withEventSchemas(store, registry),
      readModels,
      shared: false,
      bus: async () => (bus ??= createInProcessBus({ maxMessages: 100_000, maxAgeMs: 24 * 3_600_000 })),
      deltas: async () => (deltas ??= createInProcessDeltaChannel()),
      async close() {
        await deltas?.close();
        await bus?.close();
        await store.close();
        await readModels.destroy();
      },
    };
  }

  await ensureDatabaseExists(config.databaseUrl);
  await migratePostgresEventLog(config.databaseUrl);
  // A client killed by the server (restart, failover) is replaced on demand; unheard, it would end the process.
  const readModelPool = hearConnectionErrors(new pg.Pool({ connectionString: config.databaseUrl, max: config.databasePoolSize }), onConnectionError);
  const readModels = createPostgresKysely<ReadModelDatabase>(readModelPool);
  closers.push(() => readModels.destroy());
  await migrateProjections(readModels, projections);
  const store = await chooseStore(config, () =>
    createPostgresEventStore(new pg.Pool({ connectionString: config.databaseUrl, max: config.databasePoolSize }), {
      ownsPool: true,
      pollIntervalMs,
      announceAfterMs,
      quietAnnounceAfterMs,
      onConnectionError,
      preparedStatements: config.databasePreparedStatements,
    }),
  );
  closers.push(() => store.close());
  let bus: Promise<Bus> | undefined;
  let deltaConnection: Promise<NatsConnection> | undefined;
  let deltas: Promise<DeltaChannel> | undefined;
  return {
    store: withEventSchemas(store, registry),
    readModels,
    shared: true,
    bus: () =>
      (bus ??= createNatsBus({
        servers: config.natsUrl,
        stream: config.natsStream,
        subjects: [`${config.natsSubjectPrefix}.>`],
        deadLetterStream: `${config.natsStream}_DEAD_LETTERS`,
        deadLetterSubjectPrefix: `${config.natsSubjectPrefix}-dead-letters`,
        duplicateWindowMs: config.natsDuplicateWindowMs,
        maxAgeMs: config.natsMaxAgeMs,
      })),
    deltas: () =>
      (deltas ??= (async () => {
        deltaConnection = connect({ servers: config.natsUrl, name: 'tessera-deltas', maxReconnectAttempts: -1 });
        const nats = await createNatsDeltaChannel(await deltaConnection, {
          stream: `${config.natsStream}_DELTAS`,
          subjectPrefix: `${config.natsSubjectPrefix}-deltas`,
        });
        return withLocalDelivery(nats, { drivenHere: (turnId) => turnDrives.driving(turnId) });
      })()),
    async close() {
      if (bus) await (await bus).close();
      if (deltaConnection) await (await deltaConnection).drain();
      for (const close of closers.reverse()) await close();
    },
  };

  async function chooseStore(current: Config, sqlStore: () => EventStore): Promise<EventStore> {
    if (current.eventStore !== 'kurrentdb') return sqlStore();
    // Loaded only when chosen: the gRPC client is a sizeable share of an embedded process's memory.
    const { connectKurrentDbEventStore } = await import('../../infra/event-store/kurrentdb/index.js');
    return connectKurrentDbEventStore(current.kurrentDbUrl!);
  }
}

