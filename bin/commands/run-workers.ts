import type { Logger } from 'pino';
import { startForwarder } from '../../infra/bus/forwarder/forwarder.js';
import type { Config } from '../../infra/config/settings.js';
import type { Backend } from '../composition/open-backend.js';
import { forwarderCheckpoints } from '../composition/forwarder-checkpoints.js';
import { acquireLeadership } from '../composition/leadership.js';
import { createEventRegistry } from '../../domain/events/all-event-types.js';
import { pipelineDependencies } from '../composition/pipeline-dependencies.js';
import { startPipelineHandlers } from '../../handlers/pipeline-handler.js';
import { emptyRetriever, turnPipelineHandlers } from '../../handlers/turn/index.js';
import { startDeadlineSweeper } from '../../handlers/turn/deadline-sweeper.js';
import { TURN_END_EVENT_TYPES } from '../../domain/turn/turn-end-events.js';
import { categoryOf, idOf } from '../../domain/shared/stream-id.js';

/**
 * The worker side: the forwarder (one leader across processes when they share a
 * database) and the pipeline handlers consuming the bus.
 */
export async function runWorkers(backend: Backend, config: Config, logger: Logger, signal: AbortSignal): Promise<() => Promise<void>> {
  const bus = await backend.bus();
  const handlers = turnPipelineHandlers(await pipelineDependencies(backend, config, logger.child({ component: 'pipeline' })), emptyRetriever);
  const consumers = await startPipelineHandlers(bus, createEventRegistry(), handlers, {
    subjectPrefix: config.natsSubjectPrefix,
    concurrency: config.handlerConcurrency,
    maxDeliveries: config.handlerMaxDeliveries,
    backoffMs: config.handlerBackoffMs,
    ackWaitMs: config.handlerAckWaitMs,
  }, logger);
  const stopSweeper = startDeadlineSweeper(backend.store, backend.readModels, logger.child({ component: 'deadlines' }));
  const stopPipeline = async () => {
    await stopSweeper();
    await Promise.all(consumers.map((consumer) => consumer.stop()));
  };
  const log = logger.child({ component: 'forwarder' });
  let published = 0;
  const startOne = () =>
    startForwarder(backend.store, bus, forwarderCheckpoints(backend.readModels), {
      batchSize: config.forwarderBatchSize,
      eventTypes: config.forwardEvents === 'consumed' ? new Set(handlers.flatMap((handler) => handler.eventTypes)) : undefined,
      endTypes: TURN_END_EVENT_TYPES,
      // A turn this process drives is forwarded only if the drive leaves it unfinished.
      drivenHere: (stream) => (categoryOf(stream) === 'turn' ? backend.turnDrives.untilDriveEnds(idOf(stream)) : undefined),
      // No longer than handlers wait before taking over a call, and well inside the window in which JetStream drops re-publishes.
      maxHoldMs: Math.min(config.modelCallLeaseMs, config.natsDuplicateWindowMs / 2),
      subjectPrefix: config.natsSubjectPrefix,
      onError: (error) => log.error({ err: error }, 'forwarding failed; retrying'),
      onPublished: (count) => (published += count),
    });
  const report = setInterval(() => {
    if (published > 0) log.info({ published }, 'events forwarded');
    published = 0;
  }, 10_000);
  report.unref();

  if (!backend.shared) {
    const forwarder = startOne();
    return async () => {
      clearInterval(report);
      await stopPipeline();
      await forwarder.stop();
    };
  }

  let stopCurrent: (() => Promise<void>) | undefined;
  const lead = (async () => {
    while (!signal.aborted) {
      const leadership = acquireLeadership(config.databaseUrl, 'tessera-forwarder', log, signal);
      try {
        await leadership.acquired;
      } catch {
        return;
      }
      log.info('this process now forwards events');
      const forwarder = startOne();
      stopCurrent = () => forwarder.stop().then(() => leadership.release());
      await new Promise<void>((resolve) => {
        leadership.lost.addEventListener('abort', () => resolve(), { once: true });
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
      // Whatever stopping costs, this process must go back to standing for leadership.
      await stopCurrent().catch((error: unknown) => log.warn({ err: error }, 'forwarder did not stop cleanly'));
      stopCurrent = undefined;
    }
  })();
  return async () => {
    clearInterval(report);
    await stopPipeline();
    await stopCurrent?.();
    await lead;
  };
}
