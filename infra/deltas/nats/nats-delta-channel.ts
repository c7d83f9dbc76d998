import { DiscardPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { headers, nanos, type NatsConnection } from '@nats-io/transport-node';
import { ensureStream } from '../../bus/nats/ensure-streams.js';
import type { DeltaChannel, TurnDelta } from '../port.js';

export interface NatsDeltaChannelOptions {
  stream?: string;
  subjectPrefix?: string;
  /** How long deltas stay replayable for resuming clients. */
  maxAgeMs?: number;
}

/**
 * Deltas on a short-lived JetStream stream (`<prefix>.<turnId>`, memory storage): any
 * API process can replay a turn's deltas for a client that reconnects elsewhere.
 */
export async function createNatsDeltaChannel(connection: NatsConnection, options: NatsDeltaChannelOptions = {}): Promise<DeltaChannel> {
  const stream = options.stream ?? 'TESSERA_DELTAS';
  const prefix = options.subjectPrefix ?? 'tessera.deltas';
  const maxAgeMs = options.maxAgeMs ?? 10 * 60_000;
  await ensureStream(await jetstreamManager(connection), {
    name: stream,
    subjects: [`${prefix}.>`],
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    storage: StorageType.Memory,
    max_age: nanos(maxAgeMs),
    duplicate_window: nanos(Math.min(maxAgeMs, 120_000)),
  });
  const client = jetstream(connection);
  const encoder = new TextEncoder();

  return {
    publish(delta) {
      // A plain publish, which the stream still captures: a delta is a courtesy, not worth an ack round trip per token.
      const messageHeaders = headers();
      messageHeaders.set('Nats-Msg-Id', `${delta.turnId}:${delta.sequence}`);
      connection.publish(`${prefix}.${delta.turnId}`, encoder.encode(JSON.stringify(delta)), { headers: messageHeaders });
      return Promise.resolve();
    },

    async replay(turnId, afterSequence) {
      const consumer = await client.consumers.get(stream, { filter_subjects: `${prefix}.${turnId}` });
      let pending = (await consumer.info()).num_pending;
      const deltas: TurnDelta[] = [];
      while (pending > 0) {
        const message = await consumer.next({ expires: 2_000 });
        if (!message) break;
        pending -= 1;
        const delta = message.json<TurnDelta>();
        if (delta.sequence > afterSequence) deltas.push(delta);
      }
      return deltas;
    },

    async *follow(turnId, afterSequence, signal) {
      // A single subject as a string: servers before 2.10 take only `filter_subject`.
      const consumer = await client.consumers.get(stream, { filter_subjects: `${prefix}.${turnId}` });
      const messages = await consumer.consume();
      const stop = () => void messages.stop();
      signal.addEventListener('abort', stop, { once: true });
      try {
        for await (const message of messages) {
          const delta = message.json<TurnDelta>();
          if (delta.sequence > afterSequence) yield delta;
          if (signal.aborted) return;
        }
      } finally {
        signal.removeEventListener('abort', stop);
        stop();
      }
    },

    async close() {},
  };
}
