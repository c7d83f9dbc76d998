import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { newId } from '../../domain/shared/ids.js';
import { createNatsBus } from '../../infra/bus/nats/index.js';
import type { Bus } from '../../infra/bus/port.js';
import { testServices } from './services.js';

export interface NatsTestBus {
  nats: NatsConnection;
  bus: Bus;
  /** The JetStream stream made for this test. */
  streamName: string;
  /** Subjects are `<prefix>.<category>.<type>`. */
  prefix: string;
  /** Closes the bus and deletes its streams. */
  close: () => Promise<void>;
}

/** A NATS bus on streams of its own, named after `label` and a fresh suffix, so tests never share one. */
export async function openNatsTestBus(label: string): Promise<NatsTestBus> {
  const suffix = newId().replaceAll('-', '').slice(-10);
  const streamName = `${label.toUpperCase()}_${suffix}`;
  const prefix = `tessera.${label.toLowerCase().replaceAll('_', '')}${suffix}.events`;
  const nats = await connect({ servers: testServices.natsUrl });
  const bus = await createNatsBus(nats, { stream: streamName, subjects: [`${prefix}.>`], deadLetterStream: `${streamName}_DLQ`, deadLetterSubjectPrefix: `${prefix}-dead` });
  return {
    nats,
    bus,
    streamName,
    prefix,
    async close() {
      await bus.close();
      const manager = await jetstreamManager(nats);
      await manager.streams.delete(streamName).catch(() => undefined);
      await manager.streams.delete(`${streamName}_DLQ`).catch(() => undefined);
      await nats.drain();
    },
  };
}
