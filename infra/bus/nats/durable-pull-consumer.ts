import type { ConsumerMessages, JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { ConsumerEvent, ConsumerHandle } from '../port.js';
import { describeError, type ConsumeSettings } from '../consume-settings.js';
import type { DeadLetterStore } from './dead-letters.js';
import { durableConsumerConfig, ensureDurableConsumer } from './ensure-consumer.js';
import { handleDelivery, type DeliveryContext } from './handle-delivery.js';
import { createSlots } from './slots.js';

export interface PullConsumerContext {
  client: JetStreamClient;
  manager: JetStreamManager;
  stream: string;
  deadLetters: DeadLetterStore;
  pullExpiresMs: number;
  restartDelayMs: number;
  /** False on servers before 2.10, which filter a consumer on one subject only. */
  serverFiltersManySubjects: boolean;
  /** Subscribes to connection status changes; returns the unsubscribe. */
  watchConnection: (listener: (status: string) => void) => () => void;
  /** True once the connection is closed for good; the loop then ends instead of retrying. */
  isConnectionClosed: () => boolean;
}

// Pull bookkeeping the server sends all the time; reporting it would drown the rest.
const ROUTINE_NOTIFICATIONS = new Set(['next', 'heartbeat', 'discard', 'debug']);

/**
 * Creates or updates the durable pull consumer, then runs its consume loop until
 * stopped. Pulls ask for at most `concurrency` messages and the next pull goes out only
 * when a slot is free, so deliveries do not pile up in the client while their ack wait
 * runs. When the loop ends (consumer deleted, connection closed) it ensures the
 * consumer and starts over; reconnects and server restarts the client rides out itself.
 */
export async function startDurablePullConsumer(
  context: PullConsumerContext,
  settings: ConsumeSettings,
): Promise<ConsumerHandle> {
  const { config, filtersOnClient } = durableConsumerConfig(settings, context.serverFiltersManySubjects);
  const ensureConsumer = () => ensureDurableConsumer(context.manager, context.stream, config);
  await ensureConsumer();

  const notify = (event: ConsumerEvent): void => {
    try {
      settings.onEvent(event);
    } catch {
      // A failing listener must not stop deliveries; it only observes them.
    }
  };
  const deliveryContext: DeliveryContext = {
    settings,
    deadLetters: context.deadLetters,
    filtersOnClient,
    unstoredDeadLetters: new Map(),
  };
  const slots = createSlots(settings.concurrency);
  const inFlight = new Set<Promise<void>>();
  let stopped = false;
  let current: ConsumerMessages | undefined;
  let endPause = (): void => undefined;

  const watch = async (messages: ConsumerMessages): Promise<void> => {
    for await (const notification of messages.status()) {
      if (ROUTINE_NOTIFICATIONS.has(notification.type)) continue;
      notify({ kind: 'status', status: notification.type });
      // The iterator would keep pulling from nothing; end it so the loop re-creates the consumer.
      const gone = notification.type === 'consumer_deleted' || notification.type === 'consumer_not_found';
      if (gone) messages.stop();
    }
  };

  const drain = async (messages: ConsumerMessages): Promise<void> => {
    const iterator = messages[Symbol.asyncIterator]();
    for (;;) {
      await slots.acquire();
      let handedOver = false;
      try {
        if (stopped) break;
        const next = await iterator.next();
        if (next.done || stopped) {
          if (!next.done) next.value.nak();
          break;
        }
        const delivery = handleDelivery(next.value, deliveryContext)
          .catch((error: unknown) => notify({ kind: 'status', status: `delivery-failed: ${describeError(error)}` }))
          .finally(() => {
            inFlight.delete(delivery);
            slots.release();
          });
        inFlight.add(delivery);
        handedOver = true;
      } finally {
        if (!handedOver) slots.release();
      }
    }
    // Hand back what the client pulled but did not start, so a restart gets it now, not after the ack wait.
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) next.value.nak();
  };

  const run = async (): Promise<void> => {
    while (!stopped && !context.isConnectionClosed()) {
      try {
        const consumer = await context.client.consumers.get(context.stream, settings.consumer);
        current = await consumer.consume({ max_messages: settings.concurrency, expires: context.pullExpiresMs });
        if (stopped) current.stop();
        void watch(current).catch(() => undefined);
        await drain(current);
      } catch (error) {
        notify({ kind: 'status', status: `consume-failed: ${describeError(error)}` });
      }
      if (stopped || context.isConnectionClosed()) return;
      notify({ kind: 'status', status: 'consume-restarting' });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, context.restartDelayMs);
        endPause = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      await ensureConsumer().catch((error: unknown) =>
        notify({ kind: 'status', status: `consumer-create-failed: ${describeError(error)}` }),
      );
    }
  };

  const unwatchConnection = context.watchConnection((status) =>
    notify({ kind: 'status', status: `connection-${status}` }),
  );
  const running = run();
  let stopping: Promise<void> | undefined;
  return {
    stop: () =>
      (stopping ??= (async () => {
        stopped = true;
        current?.stop();
        endPause();
        await running;
        await Promise.all([...inFlight]);
        unwatchConnection();
      })()),
  };
}
