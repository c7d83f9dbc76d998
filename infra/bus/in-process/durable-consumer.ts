import type { DeadLetter } from '../port.js';
import { matchesAnySubject } from '../subject-pattern.js';
import { describeError, retryDelay, type ConsumeSettings } from '../consume-settings.js';
import { copyMessage } from './copy-message.js';
import type { RetainedLog, RetainedRecord } from './retained-log.js';
import type { SettlementTracker } from './settlement-tracker.js';

/**
 * The state JetStream keeps for a durable consumer, kept in memory: where it is in the
 * log, which messages wait for a retry, which are being handled. It outlives `stop`,
 * so consuming again under the same name resumes where it was.
 */
export interface DurableConsumer {
  /** True when the consumer's latest subjects match `subject`, running or not. */
  matches(subject: string): boolean;
  /** Starts delivering with these settings; throws when already running. */
  start(settings: ConsumeSettings): void;
  /** Looks for work; called after a publish and whenever a slot or a retry frees up. */
  wake(): void;
  /** Stops delivering and waits for the deliveries in flight to finish or time out. */
  stop(): Promise<void>;
}

export interface DurableConsumerDependencies {
  log: RetainedLog;
  settlement: SettlementTracker;
  recordDeadLetter: (deadLetter: DeadLetter) => void;
}

interface Retry {
  deliveryCount: number;
  dueAt: number;
  ready: boolean;
  timer?: NodeJS.Timeout;
}

interface Attempt {
  record: RetainedRecord;
  deliveryCount: number;
  settings: ConsumeSettings;
  done: boolean;
  finished: Promise<void>;
  finish(): void;
  timer?: NodeJS.Timeout;
}

type Outcome = { kind: 'acked' } | { kind: 'failed'; error: unknown } | { kind: 'ack-wait-expired' };

export function createDurableConsumer(
  name: string,
  startSequence: number,
  { log, settlement, recordDeadLetter }: DurableConsumerDependencies,
): DurableConsumer {
  let settings: ConsumeSettings | undefined;
  let running = false;
  let nextSequence = startSequence;
  const retries = new Map<number, Retry>();
  const inFlight = new Set<Attempt>();

  const matches = (subject: string): boolean => settings !== undefined && matchesAnySubject(settings.subjects, subject);

  const notify = (current: ConsumeSettings, event: Parameters<ConsumeSettings['onEvent']>[0]): void => {
    try {
      current.onEvent(event);
    } catch {
      // A failing listener must not stop deliveries; it only observes them.
    }
  };

  const arm = (sequence: number, retry: Retry): void => {
    if (!running) return;
    const remaining = retry.dueAt - Date.now();
    if (remaining <= 0) {
      retry.ready = true;
      return;
    }
    retry.timer = setTimeout(() => {
      retry.timer = undefined;
      retry.ready = true;
      wake();
    }, remaining);
  };

  // Redeliveries that are due go first, lowest sequence first, as JetStream does.
  const takeNext = (): { record: RetainedRecord; deliveryCount: number } | undefined => {
    for (;;) {
      let chosen: number | undefined;
      for (const [sequence, retry] of retries) {
        if (retry.ready && (chosen === undefined || sequence < chosen)) chosen = sequence;
      }
      if (chosen === undefined) break;
      const retry = retries.get(chosen);
      retries.delete(chosen);
      const record = log.get(chosen);
      if (record && retry) return { record, deliveryCount: retry.deliveryCount + 1 };
    }
    nextSequence = Math.max(nextSequence, log.firstSequence());
    while (nextSequence <= log.lastSequence()) {
      const record = log.get(nextSequence);
      nextSequence += 1;
      if (!record) continue;
      if (matches(record.message.subject)) return { record, deliveryCount: 1 };
      settlement.settle(record.sequence, name);
    }
    return undefined;
  };

  const fail = (attempt: Attempt, error: unknown, delayMs: number): void => {
    const { record, deliveryCount, settings: current } = attempt;
    const messageId = record.message.id;
    if (deliveryCount >= current.maxDeliveries) {
      const deadLetter = { consumer: name, message: copyMessage(record.message), deliveryCount, failedAt: new Date() };
      recordDeadLetter({ ...deadLetter, error: describeError(error) });
      settlement.settle(record.sequence, name);
      notify(current, { kind: 'dead-lettered', messageId, deliveryCount, error });
      return;
    }
    const retry: Retry = { deliveryCount, dueAt: Date.now() + delayMs, ready: false };
    retries.set(record.sequence, retry);
    arm(record.sequence, retry);
    notify(current, { kind: 'retrying', messageId, deliveryCount, error });
  };

  const conclude = (attempt: Attempt, outcome: Outcome): void => {
    // An attempt abandoned at its ack wait is already redelivered: its late result counts for nothing.
    if (attempt.done) return;
    attempt.done = true;
    clearTimeout(attempt.timer);
    inFlight.delete(attempt);
    attempt.finish();
    const { ackWaitMs, backoffMs } = attempt.settings;
    if (outcome.kind === 'acked') settlement.settle(attempt.record.sequence, name);
    else if (outcome.kind === 'failed') fail(attempt, outcome.error, retryDelay(outcome.error, backoffMs, attempt.deliveryCount));
    else fail(attempt, new Error(`not acked within the ack wait of ${ackWaitMs} ms`), 0);
    wake();
  };

  const dispatch = (record: RetainedRecord, deliveryCount: number, current: ConsumeSettings): void => {
    let finish = (): void => undefined;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const attempt: Attempt = { record, deliveryCount, settings: current, done: false, finished, finish };
    inFlight.add(attempt);
    attempt.timer = setTimeout(() => conclude(attempt, { kind: 'ack-wait-expired' }), current.ackWaitMs);
    const delivery = { message: copyMessage(record.message), deliveryCount };
    // The handler starts on a later tick, so it never runs inside the publisher's call.
    void Promise.resolve()
      .then(() => current.handler(delivery))
      .then(
        () => conclude(attempt, { kind: 'acked' }),
        (error: unknown) => conclude(attempt, { kind: 'failed', error }),
      );
  };

  function wake(): void {
    if (!running || !settings) return;
    log.prune(Date.now());
    while (inFlight.size < settings.concurrency) {
      const next = takeNext();
      if (!next) return;
      dispatch(next.record, next.deliveryCount, settings);
    }
  }

  return {
    matches,
    start(newSettings) {
      if (running) throw new Error(`consumer "${name}" is already running`);
      settings = newSettings;
      running = true;
      for (const [sequence, retry] of retries) arm(sequence, retry);
      wake();
    },
    wake,
    async stop() {
      running = false;
      for (const retry of retries.values()) clearTimeout(retry.timer);
      await Promise.all([...inFlight].map((attempt) => attempt.finished));
    },
  };
}
