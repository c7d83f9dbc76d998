import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiError,
  type ConsumerConfig,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { ConsumeSettings } from '../consume-settings.js';

/** JetStream's code for "consumer already exists" (with another configuration). */
const CONSUMER_EXISTS = 10148;

/**
 * The durable pull consumer for these settings. The server's max_deliver stays
 * unlimited: the adapter ends a message's deliveries itself, because only it can store
 * the dead letter first. Servers before 2.10 filter on one subject only; with several
 * subjects there, the consumer takes the whole stream and the client filters.
 */
export function durableConsumerConfig(
  settings: ConsumeSettings,
  serverFiltersManySubjects: boolean,
): { config: Partial<ConsumerConfig>; filtersOnClient: boolean } {
  const filtersOnClient = settings.subjects.length > 1 && !serverFiltersManySubjects;
  const filter = filtersOnClient
    ? {}
    : settings.subjects.length === 1
      ? { filter_subject: settings.subjects[0] }
      : { filter_subjects: [...settings.subjects] };
  const config: Partial<ConsumerConfig> = {
    durable_name: settings.consumer,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(settings.ackWaitMs),
    max_deliver: -1,
    ...filter,
  };
  return { config, filtersOnClient };
}

/** Creates the consumer, or updates it so a restart with new settings keeps its position. */
export async function ensureDurableConsumer(
  manager: JetStreamManager,
  stream: string,
  config: Partial<ConsumerConfig>,
): Promise<void> {
  try {
    // Servers before 2.10 treat this as create-or-update; later ones refuse a changed config.
    await manager.consumers.add(stream, config);
  } catch (error) {
    if (!(error instanceof JetStreamApiError) || error.code !== CONSUMER_EXISTS) throw error;
    const { ack_wait, max_deliver, filter_subject, filter_subjects } = config;
    // Undefined filters are listed on purpose: they clear the filter the consumer had.
    await manager.consumers.update(stream, config.durable_name ?? '', {
      ack_wait,
      max_deliver,
      filter_subject,
      filter_subjects,
    });
  }
}
