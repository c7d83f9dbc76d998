import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { RetryLaterError, type Bus, type BusMessage, type ConsumeOptions, type ConsumerEvent, type ConsumerHandle, type Delivery } from '../../infra/bus/port.js';
import { recordAdapterCovered } from '../support/adapter-coverage.js';

export interface BusContractQuirks {
  /** True when `settled` waits for the consumers (in-process); false when publishing already persisted it. */
  settledWaitsForConsumers: boolean;
  /** How much later than its backoff or ack wait a redelivery may come (server timers, pull round trips). */
  redeliverySlackMs: number;
  /** True when the bus keeps messages across restarts and so offers `lastMessage`. */
  offersLastMessage: boolean;
}

export interface BusUnderTest {
  bus: Bus;
  /** First subject token the bus accepts and no other suite publishes under. */
  subjectPrefix: string;
  teardown(): Promise<void>;
}

interface Received extends Delivery {
  at: number;
}

const text = (value: string): Uint8Array => new TextEncoder().encode(value);
const read = (payload: Uint8Array): string => new TextDecoder().decode(payload);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
// Node timers may fire a millisecond or two early against Date.now().
const TIMER_TOLERANCE_MS = 5;

export function describeBusContract(
  name: string,
  factory: () => Promise<BusUnderTest>,
  quirks: BusContractQuirks,
): void {
  describe(`bus contract: ${name}`, () => {
    let underTest: BusUnderTest;
    let bus: Bus;
    let scope: string;
    let counter = 0;
    const handles: ConsumerHandle[] = [];
    const releases: (() => void)[] = [];
    const within = { timeout: 5000 + quirks.redeliverySlackMs, interval: 10 };

    beforeAll(async () => {
      underTest = await factory();
      bus = underTest.bus;
      recordAdapterCovered('bus', name);
    });
    afterEach(async () => {
      for (const release of releases.splice(0)) release();
      await Promise.all(handles.splice(0).map((handle) => handle.stop()));
    });
    afterAll(async () => {
      await bus.close();
      await underTest.teardown();
    });

    /** A fresh subject scope and consumer name per test, so tests never see each other's messages. */
    const fresh = (): { subject: (rest: string) => string; consumer: string } => {
      counter += 1;
      scope = `${underTest.subjectPrefix}.case${counter}`;
      return { subject: (rest) => `${scope}.${rest}`, consumer: `contract-${counter}-${Date.now().toString(36)}` };
    };
    const message = (subject: string, body: string, headers?: Record<string, string>): BusMessage => ({
      id: `${subject}/${body}/${Math.random().toString(36).slice(2)}`,
      subject,
      payload: text(body),
      ...(headers ? { headers } : {}),
    });
    const consume = async (
      options: Omit<ConsumeOptions, 'handler'> & { handler?: (delivery: Delivery) => Promise<void> },
    ): Promise<{ received: Received[]; events: ConsumerEvent[]; handle: ConsumerHandle }> => {
      const received: Received[] = [];
      const events: ConsumerEvent[] = [];
      const handle = await bus.consume({
        ...options,
        onEvent: (event) => events.push(event),
        handler: async (delivery) => {
          received.push({ ...delivery, at: Date.now() });
          await options.handler?.(delivery);
        },
      });
      handles.push(handle);
      return { received, events, handle };
    };
    const bodies = (received: Received[]): string[] => received.map((delivery) => read(delivery.message.payload));

    it('delivers subject, payload, headers and id, first with deliveryCount 1', async () => {
      const { subject, consumer } = fresh();
      const published = message(subject('turn.t1'), 'hello', { 'trace-id': 'abc', 'Content-Type': 'text/plain' });
      const result = await bus.publish(published);
      expect(result.duplicate).toBe(false);

      const { received } = await consume({ consumer, subjects: [subject('turn.*')] });
      await vi.waitFor(() => expect(received).toHaveLength(1), within);
      expect(received[0]?.message).toEqual(published);
      expect(received[0]?.deliveryCount).toBe(1);
      await expect(result.settled).resolves.toBeUndefined();
    });

    it('delivers only the messages whose subject matches one of the patterns, in publish order', async () => {
      const { subject, consumer } = fresh();
      const { received } = await consume({ consumer, subjects: [subject('turn.*'), subject('job.>')] });
      for (const rest of ['turn.a', 'turn.a.b', 'job.x.y', 'document.d', 'job', 'job.z', 'turn.end']) {
        await bus.publish(message(subject(rest), rest));
      }
      await vi.waitFor(() => expect(bodies(received)).toContain('turn.end'), within);
      expect(bodies(received)).toEqual(['turn.a', 'job.x.y', 'job.z', 'turn.end']);
    });

    it('drops a second publish with the same id and delivers the message once', async () => {
      const { subject, consumer } = fresh();
      const original = message(subject('turn.t1'), 'original');
      expect((await bus.publish(original)).duplicate).toBe(false);
      expect((await bus.publish({ ...original, payload: text('retry') })).duplicate).toBe(true);
      await bus.publish(message(subject('turn.t1'), 'sentinel'));

      const { received } = await consume({ consumer, subjects: [subject('>')] });
      await vi.waitFor(() => expect(bodies(received)).toContain('sentinel'), within);
      expect(bodies(received)).toEqual(['original', 'sentinel']);
    });

    it('redelivers a failed message with deliveryCount 2 after its backoff, not before', async () => {
      const { subject, consumer } = fresh();
      const backoff = 300;
      let failedAt = 0;
      const { received, events } = await consume({
        consumer,
        subjects: [subject('>')],
        backoffMs: [backoff],
        handler: async (delivery) => {
          if (delivery.deliveryCount > 1) return;
          failedAt = Date.now();
          throw new Error('first attempt fails');
        },
      });
      const published = message(subject('turn.t1'), 'flaky');
      await bus.publish(published);
      await vi.waitFor(() => expect(received).toHaveLength(2), within);
      expect(received.map((delivery) => delivery.deliveryCount)).toEqual([1, 2]);
      const waited = (received[1]?.at ?? 0) - failedAt;
      expect(waited).toBeGreaterThanOrEqual(backoff - TIMER_TOLERANCE_MS);
      expect(waited).toBeLessThan(backoff + quirks.redeliverySlackMs);
      expect(events).toContainEqual(
        expect.objectContaining({ kind: 'retrying', messageId: published.id, deliveryCount: 1 }),
      );
      await sleep(200);
      expect(received).toHaveLength(2);
    });

    it('redelivers after the delay a RetryLaterError asks for instead of the backoff', async () => {
      const { subject, consumer } = fresh();
      const asked = 400;
      let deferredAt = 0;
      const { received } = await consume({
        consumer,
        subjects: [subject('>')],
        backoffMs: [10_000],
        handler: async (delivery) => {
          if (delivery.deliveryCount > 1) return;
          deferredAt = Date.now();
          throw new RetryLaterError(asked, 'someone else holds this step');
        },
      });
      await bus.publish(message(subject('turn.t1'), 'deferred'));
      await vi.waitFor(() => expect(received).toHaveLength(2), within);
      const waited = (received[1]?.at ?? 0) - deferredAt;
      expect(waited).toBeGreaterThanOrEqual(asked - TIMER_TOLERANCE_MS);
      expect(waited).toBeLessThan(asked + quirks.redeliverySlackMs);
    });

    it('dead-letters a message after maxDeliveries failures with its error, then delivers it no more', async () => {
      const { subject, consumer } = fresh();
      const poison = message(subject('turn.poison'), 'poison', { 'trace-id': 'p1' });
      const { received, events } = await consume({
        consumer,
        subjects: [subject('>')],
        maxDeliveries: 3,
        backoffMs: [20, 40],
        handler: async (delivery) => {
          if (read(delivery.message.payload) !== 'poison') return;
          throw new Error(`refused on attempt ${delivery.deliveryCount}\nsee logs`);
        },
      });
      const result = await bus.publish(poison);
      await bus.publish(message(subject('turn.fine'), 'fine'));

      await vi.waitFor(async () => expect(await bus.readDeadLetters(consumer)).toHaveLength(1), within);
      const [deadLetter] = await bus.readDeadLetters(consumer);
      expect(deadLetter).toMatchObject({ consumer, message: poison, deliveryCount: 3 });
      expect(deadLetter?.error).toBe('refused on attempt 3\nsee logs');
      expect(deadLetter?.failedAt).toBeInstanceOf(Date);
      expect(events).toContainEqual(
        expect.objectContaining({ kind: 'dead-lettered', messageId: poison.id, deliveryCount: 3 }),
      );
      await expect(result.settled).resolves.toBeUndefined();

      await sleep(300);
      const poisonDeliveries = received.filter((delivery) => delivery.message.id === poison.id);
      expect(poisonDeliveries.map((delivery) => delivery.deliveryCount)).toEqual([1, 2, 3]);
      expect(bodies(received)).toContain('fine');
    });

    it('lists dead letters oldest first and honours the limit', async () => {
      const { subject, consumer } = fresh();
      await consume({
        consumer,
        subjects: [subject('>')],
        maxDeliveries: 1,
        handler: () => Promise.reject(new Error('no')),
      });
      for (const body of ['first', 'second', 'third']) await bus.publish(message(subject('turn.t'), body));
      await vi.waitFor(async () => expect(await bus.readDeadLetters(consumer)).toHaveLength(3), within);
      const limited = await bus.readDeadLetters(consumer, { limit: 2 });
      expect(limited.map((deadLetter) => read(deadLetter.message.payload))).toEqual(['first', 'second']);
      expect(await bus.readDeadLetters(`${consumer}-other`)).toEqual([]);
    });

    it('resumes a durable consumer with the unacked and the new messages, never the acked ones', async () => {
      const { subject, consumer } = fresh();
      const options = { consumer, subjects: [subject('>')], backoffMs: [200] };
      const first = await consume({
        ...options,
        handler: async (delivery) => {
          if (read(delivery.message.payload) === 'm3') throw new Error('not yet');
        },
      });
      for (const body of ['m1', 'm2', 'm3']) await bus.publish(message(subject('turn.t'), body));
      await vi.waitFor(() => expect(bodies(first.received)).toEqual(['m1', 'm2', 'm3']), within);
      await first.handle.stop();
      for (const body of ['m4', 'm5']) await bus.publish(message(subject('turn.t'), body));
      await sleep(50);
      expect(first.received).toHaveLength(3);

      const second = await consume(options);
      await vi.waitFor(() => expect([...bodies(second.received)].sort()).toEqual(['m3', 'm4', 'm5']), within);
      expect(second.received.find((delivery) => read(delivery.message.payload) === 'm3')?.deliveryCount).toBe(2);
      await sleep(300);
      expect(second.received).toHaveLength(3);
    });

    it('never runs more handlers at once than its concurrency, and uses all of it', async () => {
      const { subject, consumer } = fresh();
      let running = 0;
      let mostRunning = 0;
      const { received } = await consume({
        consumer,
        subjects: [subject('>')],
        concurrency: 3,
        handler: async () => {
          running += 1;
          mostRunning = Math.max(mostRunning, running);
          await sleep(40);
          running -= 1;
        },
      });
      for (let index = 0; index < 12; index += 1) await bus.publish(message(subject('turn.t'), `n${index}`));
      await vi.waitFor(() => expect(received).toHaveLength(12), within);
      expect(mostRunning).toBe(3);
    });

    it('with concurrency 1 handles one message at a time, in publish order', async () => {
      const { subject, consumer } = fresh();
      let running = 0;
      let mostRunning = 0;
      const { received } = await consume({
        consumer,
        subjects: [subject('>')],
        handler: async () => {
          running += 1;
          mostRunning = Math.max(mostRunning, running);
          await sleep(5);
          running -= 1;
        },
      });
      const expected = Array.from({ length: 10 }, (_, index) => `n${index}`);
      for (const body of expected) await bus.publish(message(subject('turn.t'), body));
      await vi.waitFor(() => expect(received).toHaveLength(10), within);
      expect(bodies(received)).toEqual(expected);
      expect(mostRunning).toBe(1);
    });

    it('gives a new consumer the messages published before it existed', async () => {
      const { subject, consumer } = fresh();
      for (const body of ['early-1', 'early-2']) await bus.publish(message(subject('turn.t'), body));
      const first = await consume({ consumer, subjects: [subject('>')] });
      const second = await consume({ consumer: `${consumer}-b`, subjects: [subject('>')] });
      await vi.waitFor(() => expect(bodies(first.received)).toEqual(['early-1', 'early-2']), within);
      await vi.waitFor(() => expect(bodies(second.received)).toEqual(['early-1', 'early-2']), within);
    });

    it('redelivers when a handler outlives the ack wait, and its late failure changes nothing', async () => {
      const { subject, consumer } = fresh();
      const ackWaitMs = 400;
      let failFirst = (): void => undefined;
      const { received, events } = await consume({
        consumer,
        subjects: [subject('>')],
        ackWaitMs,
        maxDeliveries: 2,
        backoffMs: [10],
        handler: (delivery) =>
          delivery.deliveryCount === 1
            ? new Promise<void>((_, reject) => (failFirst = () => reject(new Error('too late'))))
            : Promise.resolve(),
      });
      await bus.publish(message(subject('turn.t'), 'slow'));
      await vi.waitFor(() => expect(received).toHaveLength(2), within);
      const waited = (received[1]?.at ?? 0) - (received[0]?.at ?? 0);
      expect(received[1]?.deliveryCount).toBe(2);
      expect(waited).toBeGreaterThanOrEqual(ackWaitMs - TIMER_TOLERANCE_MS);
      expect(waited).toBeLessThan(ackWaitMs + quirks.redeliverySlackMs);
      await sleep(50);
      failFirst();
      await sleep(ackWaitMs + 200);
      expect(received).toHaveLength(2);
      expect(await bus.readDeadLetters(consumer)).toEqual([]);
      expect(events.filter((event) => event.kind === 'dead-lettered')).toEqual([]);
    });

    it('dead-letters a message whose last allowed delivery outlives the ack wait', async () => {
      const { subject, consumer } = fresh();
      const { received } = await consume({
        consumer,
        subjects: [subject('>')],
        ackWaitMs: 250,
        maxDeliveries: 2,
        handler: () => new Promise<void>((resolve) => releases.push(resolve)),
      });
      const stuck = message(subject('turn.t'), 'stuck');
      await bus.publish(stuck);
      await vi.waitFor(async () => expect(await bus.readDeadLetters(consumer)).toHaveLength(1), within);
      const [deadLetter] = await bus.readDeadLetters(consumer);
      expect(deadLetter).toMatchObject({ message: stuck, deliveryCount: 2 });
      expect(deadLetter?.error).toMatch(/ack wait of 250 ms/);
      expect(received.map((delivery) => delivery.deliveryCount)).toEqual([1, 2]);
    });

    it(
      quirks.offersLastMessage
        ? 'finds the newest message on matching subjects, for a publisher resuming after a crash'
        : 'offers no lastMessage, as it keeps nothing across restarts',
      async () => {
        if (!quirks.offersLastMessage) {
          expect('lastMessage' in bus).toBe(false);
          return;
        }
        const { subject } = fresh();
        expect(await bus.lastMessage?.(subject('>'))).toBeUndefined();
        const newestTurn = message(subject('turn.b'), 'turn-2', { 'trace-id': 't2' });
        await bus.publish(message(subject('turn.a'), 'turn-1'));
        await bus.publish(newestTurn);
        await bus.publish(message(subject('job.a'), 'job-1'));
        expect(await bus.lastMessage?.(subject('turn.*'))).toEqual(newestTurn);
        expect((await bus.lastMessage?.(subject('>')))?.subject).toBe(subject('job.a'));
      },
    );

    it('settles a message nobody consumes at once', async () => {
      const { subject } = fresh();
      const result = await bus.publish(message(subject('nobody.listens'), 'alone'));
      await expect(result.settled).resolves.toBeUndefined();
    });

    it(
      quirks.settledWaitsForConsumers
        ? 'settles a message only once every matching consumer acked it'
        : 'settles a message as soon as the publish is acknowledged',
      async () => {
        const { subject, consumer } = fresh();
        let release = (): void => undefined;
        const handler = (): Promise<void> => new Promise((resolve) => (release = resolve));
        await consume({ consumer, subjects: [subject('>')], handler });
        let settled = false;
        const result = await bus.publish(message(subject('turn.t'), 'pending'));
        void result.settled.then(() => (settled = true));
        await sleep(100);
        expect(settled).toBe(!quirks.settledWaitsForConsumers);
        release();
        await expect(result.settled).resolves.toBeUndefined();
      },
    );
  });
}
