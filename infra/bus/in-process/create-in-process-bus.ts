import type { Bus, ConsumerHandle, DeadLetter, PublishResult } from '../port.js';
import { assertPublishableSubject } from '../subject-pattern.js';
import { resolveConsumeSettings } from '../consume-settings.js';
import { copyMessage } from './copy-message.js';
import { createDurableConsumer, type DurableConsumer } from './durable-consumer.js';
import { createRetainedLog } from './retained-log.js';
import { createSettlementTracker } from './settlement-tracker.js';

export interface InProcessBusOptions {
  /** Messages retained for consumers that start later; the oldest go first. Defaults to 10,000. */
  maxMessages?: number;
  /** Retained messages older than this are dropped; defaults to 1 hour. */
  maxAgeMs?: number;
  /** A message id seen within this window makes a publish a duplicate; defaults to 2 minutes. */
  duplicateWindowMs?: number;
  /** Dead letters kept per consumer; the oldest go first. Defaults to 1,000. */
  maxDeadLettersPerConsumer?: number;
}

/**
 * A bus for the embedded profile: one process, nothing persisted. It keeps JetStream's
 * semantics (limits retention, duplicate window, durable consumers, explicit ack,
 * backoff, dead letters) so code tested against it behaves the same on NATS. A message
 * dropped by retention before a consumer got to it is lost to that consumer, and its
 * `settled` resolves, as with JetStream limits.
 */
export function createInProcessBus(options: InProcessBusOptions = {}): Bus {
  const settlement = createSettlementTracker();
  const log = createRetainedLog(
    {
      maxMessages: options.maxMessages ?? 10_000,
      maxAgeMs: options.maxAgeMs ?? 60 * 60 * 1000,
      duplicateWindowMs: options.duplicateWindowMs ?? 2 * 60 * 1000,
    },
    (sequence) => settlement.release(sequence),
  );
  const maxDeadLetters = options.maxDeadLettersPerConsumer ?? 1000;
  const consumers = new Map<string, DurableConsumer>();
  const deadLetters = new Map<string, DeadLetter[]>();
  let closed = false;

  const assertOpen = (): void => {
    if (closed) throw new Error('the in-process bus is closed');
  };

  const recordDeadLetter = (deadLetter: DeadLetter): void => {
    const list = deadLetters.get(deadLetter.consumer) ?? [];
    list.push(deadLetter);
    if (list.length > maxDeadLetters) list.splice(0, list.length - maxDeadLetters);
    deadLetters.set(deadLetter.consumer, list);
  };

  return {
    async publish(message): Promise<PublishResult> {
      assertOpen();
      assertPublishableSubject(message.subject);
      if (message.id.length === 0) throw new TypeError('a bus message needs an id');
      const outcome = log.append(copyMessage(message), Date.now());
      if (outcome.duplicate) {
        // The original may still be on its way; the duplicate is settled when it is.
        return { duplicate: true, settled: settlement.pending(outcome.sequence) ?? Promise.resolve() };
      }
      const interested = [...consumers].filter(([, consumer]) => consumer.matches(message.subject));
      const settled = settlement.track(outcome.sequence, interested.map(([name]) => name));
      for (const [, consumer] of interested) consumer.wake();
      return { duplicate: false, settled };
    },

    async consume(consumeOptions): Promise<ConsumerHandle> {
      assertOpen();
      const settings = resolveConsumeSettings(consumeOptions);
      log.prune(Date.now());
      let consumer = consumers.get(settings.consumer);
      if (!consumer) {
        // A new durable starts at the oldest retained message (JetStream's DeliverPolicy.All).
        consumer = createDurableConsumer(settings.consumer, log.firstSequence(), {
          log,
          settlement,
          recordDeadLetter,
        });
        consumers.set(settings.consumer, consumer);
      }
      consumer.start(settings);
      const running = consumer;
      let stopping: Promise<void> | undefined;
      return { stop: () => (stopping ??= running.stop()) };
    },

    async readDeadLetters(consumer, readOptions) {
      const list = deadLetters.get(consumer) ?? [];
      const limit = readOptions?.limit ?? list.length;
      return list.slice(0, limit).map((deadLetter) => ({ ...deadLetter, message: copyMessage(deadLetter.message) }));
    },

    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...consumers.values()].map((consumer) => consumer.stop()));
      settlement.abandonAll(new Error('the in-process bus closed before every consumer settled the message'));
    },
  };
}
