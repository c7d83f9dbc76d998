import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { testServices } from '../../../test/support/services.js';
import type { Bus, ConsumerHandle, Delivery } from '../port.js';
import { createNatsBus } from './index.js';

const token = `natsbus${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
const stream = token.toUpperCase();
const payload = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('NATS bus adapter', () => {
  let connection: NatsConnection;
  let manager: JetStreamManager;
  let bus: Bus;
  const handles: ConsumerHandle[] = [];

  beforeAll(async () => {
    connection = await connect({ servers: testServices.natsUrl });
    manager = await jetstreamManager(connection);
    bus = await createNatsBus(connection, {
      stream,
      subjects: [`${token}.>`],
      storage: 'memory',
      deadLetterStream: `${stream}_DEAD_LETTERS`,
      deadLetterSubjectPrefix: `${token}-dead-letters`,
      restartDelayMs: 100,
      // A pull sent after the delete gets no answer; missed heartbeats (half of this, twice) reveal it.
      pullExpiresMs: 2000,
    });
  });
  afterAll(async () => {
    await Promise.all(handles.map((handle) => handle.stop()));
    await bus.close();
    await manager.streams.delete(stream);
    await manager.streams.delete(`${stream}_DEAD_LETTERS`);
    await connection.drain();
  });

  const consume = async (consumer: string, subjects: string[], ackWaitMs?: number) => {
    const received: Delivery[] = [];
    const statuses: string[] = [];
    const handle = await bus.consume({
      consumer,
      subjects,
      ...(ackWaitMs ? { ackWaitMs } : {}),
      onEvent: (event) => {
        if (event.kind === 'status') statuses.push(event.status);
      },
      handler: (delivery) => {
        received.push(delivery);
        return Promise.resolve();
      },
    });
    handles.push(handle);
    return { received, statuses, handle };
  };
  const bodies = (received: Delivery[]): string[] =>
    received.map((delivery) => new TextDecoder().decode(delivery.message.payload));

  it('re-creates a consumer deleted from under it and keeps delivering', async () => {
    const { received, statuses } = await consume('deleted', [`${token}.deleted.>`]);
    await bus.publish({ id: 'deleted-1', subject: `${token}.deleted.a`, payload: payload('one') });
    await vi.waitFor(() => expect(bodies(received)).toContain('one'));
    await manager.consumers.delete(stream, 'deleted');
    await bus.publish({ id: 'deleted-2', subject: `${token}.deleted.a`, payload: payload('two') });
    await vi.waitFor(() => expect(bodies(received)).toContain('two'), { timeout: 10_000 });
    expect(statuses).toContain('consume-restarting');
    expect(statuses.some((status) => status === 'consumer_deleted' || status === 'consumer_not_found')).toBe(true);
  });

  it('acks what it receives outside its subjects, so nothing stays pending', async () => {
    const { received } = await consume('two-subjects', [`${token}.two.a`, `${token}.two.b.*`]);
    for (const subject of ['two.a', 'two.c', 'two.b.x', 'two.b']) {
      await bus.publish({ id: `two-${subject}`, subject: `${token}.${subject}`, payload: payload(subject) });
    }
    await vi.waitFor(() => expect(bodies(received)).toEqual(['two.a', 'two.b.x']));
    await vi.waitFor(async () => {
      const info = await manager.consumers.info(stream, 'two-subjects');
      expect(info.num_ack_pending + info.num_pending).toBe(0);
    });
  });

  it('updates the consumer in place when it restarts with other settings', async () => {
    const first = await consume('changing', [`${token}.changing.a`], 10_000);
    await bus.publish({ id: 'changing-1', subject: `${token}.changing.a`, payload: payload('a') });
    await vi.waitFor(() => expect(first.received).toHaveLength(1));
    await first.handle.stop();
    const second = await consume('changing', [`${token}.changing.b`], 20_000);
    await bus.publish({ id: 'changing-2', subject: `${token}.changing.b`, payload: payload('b') });
    await vi.waitFor(() => expect(bodies(second.received)).toEqual(['b']));
    const info = await manager.consumers.info(stream, 'changing');
    expect(info.config.ack_wait).toBe(20_000 * 1_000_000);
    expect(info.config.filter_subject).toBe(`${token}.changing.b`);
  });

  it('refuses message headers that NATS reserves', async () => {
    const headers = { 'Nats-Expected-Stream': 'X' };
    const message = { id: 'reserved', subject: `${token}.reserved`, payload: payload('x'), headers };
    await expect(bus.publish(message)).rejects.toThrow(/reserved/);
  });

  it('opens and drains its own connection when given options', async () => {
    const own = await createNatsBus({
      servers: testServices.natsUrl,
      stream,
      subjects: [`${token}.>`],
      storage: 'memory',
      deadLetterStream: `${stream}_DEAD_LETTERS`,
      deadLetterSubjectPrefix: `${token}-dead-letters`,
    });
    const message = { id: 'own-1', subject: `${token}.own`, payload: payload('own') };
    expect((await own.publish(message)).duplicate).toBe(false);
    await own.close();
    await expect(own.publish({ ...message, id: 'own-2' })).rejects.toThrow(/closed/);
  });
});
