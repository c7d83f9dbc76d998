import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Bus, BusMessage, ConsumeOptions, Delivery } from '../port.js';
import { createInProcessBus, type InProcessBusOptions } from './index.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const message = (id: string, subject = 'tessera.events.turn'): BusMessage => ({
  id,
  subject,
  payload: new TextEncoder().encode(id),
});

describe('in-process bus', () => {
  const buses: Bus[] = [];
  const aBus = (options?: InProcessBusOptions): Bus => {
    const bus = createInProcessBus(options);
    buses.push(bus);
    return bus;
  };
  const collect = async (bus: Bus, options: Partial<ConsumeOptions> = {}): Promise<Delivery[]> => {
    const received: Delivery[] = [];
    await bus.consume({
      consumer: 'collector',
      subjects: ['tessera.>'],
      ...options,
      handler: async (delivery) => {
        received.push(delivery);
        await options.handler?.(delivery);
      },
    });
    return received;
  };
  const ids = (received: Delivery[]): string[] => received.map((delivery) => delivery.message.id);
  afterEach(async () => {
    await Promise.all(buses.splice(0).map((bus) => bus.close()));
  });

  describe('when the log is past its limits', () => {
    it('keeps only the newest maxMessages for a consumer that starts later', async () => {
      const bus = aBus({ maxMessages: 3 });
      for (const id of ['a', 'b', 'c', 'd', 'e']) await bus.publish(message(id));
      const received = await collect(bus);
      await vi.waitFor(() => expect(ids(received)).toEqual(['c', 'd', 'e']));
    });

    it('settles an evicted message that a stopped consumer never got, and skips it on restart', async () => {
      const bus = aBus({ maxMessages: 2 });
      const handle = await bus.consume({ consumer: 'later', subjects: ['tessera.>'], handler: async () => {} });
      await handle.stop();
      const first = await bus.publish(message('a'));
      for (const id of ['b', 'c']) await bus.publish(message(id));
      await expect(first.settled).resolves.toBeUndefined();
      const received = await collect(bus, { consumer: 'later' });
      await vi.waitFor(() => expect(ids(received)).toEqual(['b', 'c']));
    });

    it('drops messages older than maxAgeMs', async () => {
      const bus = aBus({ maxAgeMs: 50 });
      await bus.publish(message('old'));
      await sleep(80);
      await bus.publish(message('new'));
      const received = await collect(bus);
      await vi.waitFor(() => expect(ids(received)).toEqual(['new']));
    });
  });

  describe('when an id comes back', () => {
    it('accepts it again once the duplicate window has passed', async () => {
      const bus = aBus({ duplicateWindowMs: 50 });
      expect((await bus.publish(message('x'))).duplicate).toBe(false);
      expect((await bus.publish(message('x'))).duplicate).toBe(true);
      await sleep(80);
      expect((await bus.publish(message('x'))).duplicate).toBe(false);
    });

    it('settles the duplicate when the original is settled', async () => {
      const bus = aBus();
      let release = (): void => undefined;
      await collect(bus, { handler: () => new Promise((resolve) => (release = resolve)) });
      await bus.publish(message('x'));
      const duplicate = await bus.publish(message('x'));
      let settled = false;
      void duplicate.settled.then(() => (settled = true));
      await sleep(30);
      expect(settled).toBe(false);
      release();
      await expect(duplicate.settled).resolves.toBeUndefined();
    });
  });

  it('waits with settled for a durable consumer that is stopped, until it runs again and acks', async () => {
    const bus = aBus();
    const handle = await bus.consume({ consumer: 'sleeper', subjects: ['tessera.>'], handler: async () => {} });
    await handle.stop();
    const result = await bus.publish(message('a'));
    let settled = false;
    void result.settled.then(() => (settled = true));
    await sleep(30);
    expect(settled).toBe(false);
    await collect(bus, { consumer: 'sleeper' });
    await expect(result.settled).resolves.toBeUndefined();
  });

  it('keeps a retry waiting out its backoff across a stop and restart', async () => {
    const bus = aBus();
    const handle = await bus.consume({
      consumer: 'retrier',
      subjects: ['tessera.>'],
      backoffMs: [200],
      handler: () => Promise.reject(new Error('later')),
    });
    await bus.publish(message('a'));
    await sleep(20);
    const stoppedAt = Date.now();
    await handle.stop();
    const received = await collect(bus, { consumer: 'retrier' });
    await vi.waitFor(() => expect(received).toHaveLength(1));
    expect(received[0]?.deliveryCount).toBe(2);
    expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(170);
  });

  it('refuses a second run of a consumer that is running, bad subjects and a closed bus', async () => {
    const bus = aBus();
    await collect(bus, { consumer: 'once' });
    await expect(collect(bus, { consumer: 'once' })).rejects.toThrow(/already running/);
    await expect(bus.publish(message('a', 'tessera.*'))).rejects.toThrow(/invalid bus subject/);
    await expect(collect(bus, { consumer: 'bad', subjects: ['a.>.b'] })).rejects.toThrow(/invalid subject pattern/);
    await expect(collect(bus, { consumer: 'zero', concurrency: 0 })).rejects.toThrow(/concurrency/);
    await bus.close();
    await expect(bus.publish(message('b'))).rejects.toThrow(/closed/);
  });

  it('rejects settled of messages still owed when the bus closes', async () => {
    const bus = aBus();
    await collect(bus, { handler: () => Promise.reject(new Error('never')), backoffMs: [10_000] });
    const result = await bus.publish(message('a'));
    await sleep(20);
    await bus.close();
    await expect(result.settled).rejects.toThrow(/closed before every consumer settled/);
  });
});
