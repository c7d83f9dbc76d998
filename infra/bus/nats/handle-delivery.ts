import type { JsMsg } from '@nats-io/jetstream';
import type { BusMessage, ConsumerEvent, Delivery } from '../port.js';
import { matchesAnySubject } from '../subject-pattern.js';
import { backoffDelay, describeError, retryDelay, type ConsumeSettings } from '../consume-settings.js';
import type { DeadLetterStore } from './dead-letters.js';
import { decodeMessage } from './message-codec.js';

export interface DeliveryContext {
  settings: ConsumeSettings;
  deadLetters: DeadLetterStore;
  /** True when the server could not filter on every subject and the client must. */
  filtersOnClient: boolean;
  /** Error texts of messages whose dead letter could not be stored yet, by stream sequence. */
  unstoredDeadLetters: Map<number, string>;
}

type Outcome = { kind: 'acked' } | { kind: 'failed'; error: unknown } | { kind: 'ack-wait-expired' };

/**
 * One delivery: run the handler, then ack, nak with the backoff, or store a dead letter
 * and term. A delivery past maxDeliveries means the last allowed one ended without an
 * outcome (ack wait, crash, failed dead-letter write), so it is dead-lettered without
 * running the handler again.
 */
export async function handleDelivery(received: JsMsg, context: DeliveryContext): Promise<void> {
  const { settings } = context;
  if (context.filtersOnClient && !matchesAnySubject(settings.subjects, received.subject)) {
    received.ack();
    return;
  }
  const message = decodeMessage(received.subject, received.data, received.headers, String(received.seq));
  const deliveryCount = received.info.deliveryCount;
  if (deliveryCount > settings.maxDeliveries) {
    const error = new Error(context.unstoredDeadLetters.get(received.seq) ?? ackWaitError(settings));
    await deadLetter(received, message, settings.maxDeliveries, error, context);
    return;
  }
  const outcome = await runHandler(settings, { message, deliveryCount });
  if (outcome.kind === 'acked') {
    received.ack();
  } else if (outcome.kind === 'ack-wait-expired') {
    // The server redelivers on its own; the late result of this attempt is ignored.
    if (deliveryCount < settings.maxDeliveries) {
      const error = new Error(ackWaitError(settings));
      notify(settings, { kind: 'retrying', messageId: message.id, deliveryCount, error });
    }
  } else if (deliveryCount >= settings.maxDeliveries) {
    await deadLetter(received, message, deliveryCount, outcome.error, context);
  } else {
    received.nak(retryDelay(outcome.error, settings.backoffMs, deliveryCount));
    notify(settings, { kind: 'retrying', messageId: message.id, deliveryCount, error: outcome.error });
  }
}

function runHandler(settings: ConsumeSettings, delivery: Delivery): Promise<Outcome> {
  return new Promise<Outcome>((resolve) => {
    const timer = setTimeout(() => resolve({ kind: 'ack-wait-expired' }), settings.ackWaitMs);
    Promise.resolve()
      .then(() => settings.handler(delivery))
      .then(
        () => resolve({ kind: 'acked' }),
        (error: unknown) => resolve({ kind: 'failed', error }),
      )
      .finally(() => clearTimeout(timer));
  });
}

async function deadLetter(
  received: JsMsg,
  message: BusMessage,
  deliveryCount: number,
  error: unknown,
  context: DeliveryContext,
): Promise<void> {
  const { settings } = context;
  const text = describeError(error);
  try {
    await context.deadLetters.write(
      { consumer: settings.consumer, message, error: text, deliveryCount, failedAt: new Date() },
      received.seq,
    );
  } catch (writeError) {
    // Keep the message: it comes back after the backoff and the write is tried again.
    context.unstoredDeadLetters.set(received.seq, text);
    received.nak(backoffDelay(settings.backoffMs, deliveryCount));
    notify(settings, { kind: 'retrying', messageId: message.id, deliveryCount, error: writeError });
    return;
  }
  context.unstoredDeadLetters.delete(received.seq);
  received.term();
  notify(settings, { kind: 'dead-lettered', messageId: message.id, deliveryCount, error });
}

function ackWaitError(settings: ConsumeSettings): string {
  return `not acked within the ack wait of ${settings.ackWaitMs} ms`;
}

function notify(settings: ConsumeSettings, event: ConsumerEvent): void {
  try {
    settings.onEvent(event);
  } catch {
    // A failing listener must not stop deliveries; it only observes them.
  }
}
