import { AckPolicy, DeliverPolicy, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { DeadLetter } from '../port.js';
import { DEAD_LETTER_HEADER_PREFIX, decodeMessage, encodeHeaders } from './message-codec.js';

const header = {
  messageId: `${DEAD_LETTER_HEADER_PREFIX}Message-Id`,
  subject: `${DEAD_LETTER_HEADER_PREFIX}Subject`,
  consumer: `${DEAD_LETTER_HEADER_PREFIX}Consumer`,
  error: `${DEAD_LETTER_HEADER_PREFIX}Error`,
  deliveryCount: `${DEAD_LETTER_HEADER_PREFIX}Delivery-Count`,
  failedAt: `${DEAD_LETTER_HEADER_PREFIX}Failed-At`,
};

export interface DeadLetterStore {
  /** Stores `deadLetter`; `streamSequence` makes a repeated store of the same failure a duplicate. */
  write(deadLetter: DeadLetter, streamSequence: number): Promise<void>;
  /** The dead letters of `consumer`, oldest first. */
  read(consumer: string, limit?: number): Promise<DeadLetter[]>;
}

/**
 * Dead letters live in their own stream, one subject per consumer, as ordinary
 * messages (payload and headers as published) plus headers saying what failed.
 */
export function createDeadLetterStore(
  client: JetStreamClient,
  manager: JetStreamManager,
  options: { stream: string; subjectPrefix: string; timeoutMs: number },
): DeadLetterStore {
  const subjectOf = (consumer: string): string => `${options.subjectPrefix}.${consumer}`;

  return {
    async write(deadLetter, streamSequence) {
      const natsHeaders = encodeHeaders(deadLetter.message);
      natsHeaders.set(header.messageId, deadLetter.message.id);
      natsHeaders.set(header.subject, deadLetter.message.subject);
      natsHeaders.set(header.consumer, deadLetter.consumer);
      // Header values cannot hold line breaks; error texts often do.
      natsHeaders.set(header.error, encodeURIComponent(deadLetter.error));
      natsHeaders.set(header.deliveryCount, String(deadLetter.deliveryCount));
      natsHeaders.set(header.failedAt, deadLetter.failedAt.toISOString());
      await client.publish(subjectOf(deadLetter.consumer), deadLetter.message.payload, {
        headers: natsHeaders,
        // Same consumer, same stored message: a crash between storing and term() stores it once.
        msgID: `${deadLetter.consumer}:${deadLetter.message.id}:${streamSequence}`,
        timeout: options.timeoutMs,
      });
    },

    async read(consumer, limit = Number.MAX_SAFE_INTEGER) {
      // A throwaway consumer tells how many dead letters there are, so the fetch
      // below returns as soon as it has them instead of waiting for its expiry.
      const info = await manager.consumers.add(options.stream, {
        ack_policy: AckPolicy.None,
        deliver_policy: DeliverPolicy.All,
        filter_subject: subjectOf(consumer),
        inactive_threshold: nanos(60_000),
        mem_storage: true,
      });
      try {
        const wanted = Math.min(limit, info.num_pending);
        if (wanted === 0) return [];
        const reader = await client.consumers.get(options.stream, info.name);
        const batch = await reader.fetch({ max_messages: wanted, expires: Math.max(1000, options.timeoutMs) });
        const deadLetters: DeadLetter[] = [];
        for await (const stored of batch) {
          deadLetters.push(toDeadLetter(stored, consumer));
          if (deadLetters.length === wanted) break;
        }
        return deadLetters;
      } finally {
        await manager.consumers.delete(options.stream, info.name).catch(() => undefined);
      }
    },
  };
}

function toDeadLetter(stored: JsMsg, consumer: string): DeadLetter {
  const natsHeaders = stored.headers;
  const subject = natsHeaders?.get(header.subject) || stored.subject;
  const message = decodeMessage(subject, stored.data, natsHeaders, String(stored.seq));
  message.id = natsHeaders?.get(header.messageId) || message.id;
  return {
    consumer,
    message,
    error: decodeURIComponent(natsHeaders?.get(header.error) ?? ''),
    deliveryCount: Number(natsHeaders?.get(header.deliveryCount) || 0),
    failedAt: new Date(natsHeaders?.get(header.failedAt) || stored.time),
  };
}
