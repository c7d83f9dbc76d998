import {
  DiscardPolicy,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { NatsBusSettings } from './nats-bus-options.js';

/** JetStream's code for "stream name already in use with a different configuration". */
const STREAM_NAME_IN_USE = 10058;

/**
 * Creates the message stream and the dead-letter stream, or brings an existing one to
 * this configuration. Every process does this at start-up; creating an identical
 * stream twice is a no-op on the server, so concurrent starts are safe.
 */
export async function ensureStreams(manager: JetStreamManager, settings: NatsBusSettings): Promise<void> {
  const storage = settings.storage === 'memory' ? StorageType.Memory : StorageType.File;
  await ensureStream(manager, {
    name: settings.stream,
    subjects: [...settings.subjects],
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    storage,
    num_replicas: settings.replicas,
    duplicate_window: nanos(settings.duplicateWindowMs),
    max_age: nanos(settings.maxAgeMs),
    max_msgs: settings.maxMessages,
  });
  await ensureStream(manager, {
    name: settings.deadLetterStream,
    subjects: [`${settings.deadLetterSubjectPrefix}.>`],
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    storage,
    num_replicas: settings.replicas,
    duplicate_window: nanos(settings.duplicateWindowMs),
    max_age: nanos(settings.deadLetterMaxAgeMs),
  });
}

export async function ensureStream(
  manager: JetStreamManager,
  config: Partial<StreamConfig> & { name: string },
): Promise<void> {
  try {
    await manager.streams.add(config);
  } catch (error) {
    if (!(error instanceof JetStreamApiError) || error.code !== STREAM_NAME_IN_USE) throw error;
    const { name, ...update } = config;
    await manager.streams.update(name, update);
  }
}
