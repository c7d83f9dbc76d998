import type { Logger } from 'pino';
import type { EventRegistry } from '../domain/events/event-registry.js';
import type { RecordedEvent } from '../domain/events/envelope.js';
import { eventSubjects, fromEventMessage } from '../infra/bus/forwarder/event-message.js';
import type { Bus, ConsumerHandle } from '../infra/bus/port.js';

/** One step of the turn pipeline: reacts to some event types of one stream category. */
export interface PipelineHandler {
  /** Durable consumer name; stable across deployments. */
  name: string;
  category: string;
  eventTypes: readonly string[];
  /** Resolves once its output is appended; throws to be retried with backoff. */
  handle(event: RecordedEvent): Promise<void>;
}

export interface PipelineSettings {
  subjectPrefix: string;
  concurrency: number;
  maxDeliveries: number;
  backoffMs: readonly number[];
  ackWaitMs: number;
}

/** Starts a durable consumer per handler; messages are decoded and upcast before the handler sees them. */
export async function startPipelineHandlers(
  bus: Bus,
  registry: EventRegistry,
  handlers: readonly PipelineHandler[],
  settings: PipelineSettings,
  logger: Logger,
): Promise<ConsumerHandle[]> {
  return Promise.all(
    handlers.map((handler) => {
      const log = logger.child({ handler: handler.name });
      return bus.consume({
        consumer: handler.name,
        subjects: eventSubjects(handler.category, handler.eventTypes, settings.subjectPrefix),
        concurrency: settings.concurrency,
        maxDeliveries: settings.maxDeliveries,
        backoffMs: settings.backoffMs,
        ackWaitMs: settings.ackWaitMs,
        handler: async (delivery) => {
          const stored = fromEventMessage(delivery.message);
          const event = { ...stored, data: registry.decode(stored.type, stored.metadata.schemaVersion, stored.data) };
          await handler.handle(event);
        },
        onEvent: (consumerEvent) => {
          if (consumerEvent.kind === 'retrying') {
            log.warn({ err: consumerEvent.error, messageId: consumerEvent.messageId, delivery: consumerEvent.deliveryCount }, 'handler failed; will retry');
          } else if (consumerEvent.kind === 'dead-lettered') {
            log.error({ err: consumerEvent.error, messageId: consumerEvent.messageId }, 'handler gave up; message dead-lettered');
          } else {
            log.info({ status: consumerEvent.status }, 'consumer status');
          }
        },
      });
    }),
  );
}
