import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { START_POSITION, type GlobalPosition } from '../../../domain/events/global-position.js';
import { newId } from '../../../domain/shared/ids.js';
import { streamId } from '../../../domain/shared/stream-id.js';
import { sqlBackends, type SqlBackend } from '../../../test/support/sql-backends.js';
import { itemAdded, itemRemoved } from '../../../test/support/test-events.js';
import { createInProcessBus } from '../in-process/index.js';
import type { Bus } from '../port.js';
import { fromEventMessage } from './event-message.js';
import { startForwarder, type ForwarderCheckpoints } from './forwarder.js';

function memoryCheckpoints(): ForwarderCheckpoints & { saved: Map<string, GlobalPosition> } {
  const saved = new Map<string, GlobalPosition>();
  return {
    saved,
    read: async (name) => saved.get(name),
    write: async (name, position) => void saved.set(name, position),
  };
}

async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('forwarder (in-process bus, PGlite log)', () => {
  let backend: SqlBackend;
  let bus: Bus;

  beforeAll(async () => {
    backend = await sqlBackends.pglite();
    bus = createInProcessBus();
  });
  afterAll(async () => {
    await bus.close();
    await backend.teardown();
  });

  it('publishes every event once, in order, with the event id as message id', async () => {
    const received: string[] = [];
    const consumer = await bus.consume({
      consumer: 'order-check',
      subjects: ['tessera.events.cart.>'],
      handler: async (delivery) => {
        const event = fromEventMessage(delivery.message);
        expect(delivery.message.id).toBe(event.id);
        received.push(event.id);
      },
    });
    const checkpoints = memoryCheckpoints();
    const forwarder = startForwarder(backend.store, bus, checkpoints, { checkpointIntervalMs: 5 });
    const stream = streamId('cart', newId());
    const appended: string[] = [];
    for (let i = 0; i < 40; i += 1) {
      const events = [itemAdded(`a${i}`), itemAdded(`b${i}`)];
      await backend.store.appendToStream(stream, events);
      appended.push(...events.map((event) => event.id));
    }
    await eventually(() => received.length >= appended.length);
    await forwarder.stop();
    await consumer.stop();
    expect(received).toEqual(appended);
    expect(checkpoints.saved.get('forwarder')).toBeDefined();
  });

  it('checkpoints only what every consumer has settled, so a restart re-publishes the rest', async () => {
    const slowBus = createInProcessBus();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const handled: string[] = [];
    const consumer = await slowBus.consume({
      consumer: 'slow',
      subjects: ['tessera.events.>'],
      handler: async (delivery) => {
        await gate;
        handled.push(delivery.message.id);
      },
    });
    const checkpoints = memoryCheckpoints();
    const before = (await backend.store.readAll({ after: START_POSITION, maxCount: 10_000 })).lastPosition;
    checkpoints.saved.set('forwarder', before);
    const forwarder = startForwarder(backend.store, slowBus, checkpoints, { checkpointIntervalMs: 5 });
    const event = itemAdded('held');
    await backend.store.appendToStream(streamId('cart', newId()), [event]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(checkpoints.saved.get('forwarder')).toBe(before);
    release();
    await eventually(() => handled.includes(event.id));
    await eventually(() => checkpoints.saved.get('forwarder') !== before);
    await forwarder.stop();
    await consumer.stop();
    await slowBus.close();
  });

  it('publishes only the named event types, and checkpoints past the others once what came before is settled', async () => {
    const filteredBus = createInProcessBus();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const received: string[] = [];
    const consumer = await filteredBus.consume({
      consumer: 'filtered',
      subjects: ['tessera.events.>'],
      handler: async (delivery) => {
        await gate;
        received.push(fromEventMessage(delivery.message).type);
      },
    });
    const checkpoints = memoryCheckpoints();
    const before = (await backend.store.readAll({ after: START_POSITION, maxCount: 10_000 })).lastPosition;
    checkpoints.saved.set('forwarder', before);
    const forwarder = startForwarder(backend.store, filteredBus, checkpoints, { checkpointIntervalMs: 5, eventTypes: new Set(['ItemAdded']) });
    const stream = streamId('cart', newId());
    await backend.store.appendToStream(stream, [itemAdded('kept'), itemRemoved('passed over')]);
    const { position: end } = await backend.store.appendToStream(stream, [itemRemoved('passed over too')]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    // The passed-over events sit behind one still unsettled: the checkpoint waits for it.
    expect(checkpoints.saved.get('forwarder')).toBe(before);
    release();
    await eventually(() => checkpoints.saved.get('forwarder') === end);
    await forwarder.stop();
    await consumer.stop();
    await filteredBus.close();
    expect(received).toEqual(['ItemAdded']);
  });

  it("passes over a stream's events that reach it together with the stream's end, and still forwards those that came before", async () => {
    const endBus = createInProcessBus();
    const received: string[] = [];
    const consumer = await endBus.consume({
      consumer: 'ends',
      subjects: ['tessera.events.>'],
      handler: async (delivery) => void received.push((fromEventMessage(delivery.message).data as { sku: string }).sku),
    });
    const checkpoints = memoryCheckpoints();
    checkpoints.saved.set('forwarder', (await backend.store.readAll({ after: START_POSITION, maxCount: 10_000 })).lastPosition);
    const forwarder = startForwarder(backend.store, endBus, checkpoints, { checkpointIntervalMs: 5, eventTypes: new Set(['ItemAdded']), endTypes: new Set(['ItemRemoved']) });
    const [endedAtOnce, endedLater] = [streamId('cart', newId()), streamId('cart', newId())];
    await backend.store.appendToStream(endedAtOnce, [itemAdded('with its end'), itemRemoved('end')]);
    await backend.store.appendToStream(endedLater, [itemAdded('before its end')]);
    await eventually(() => received.length > 0);
    const { position: end } = await backend.store.appendToStream(endedLater, [itemAdded('with the later end'), itemRemoved('end')]);
    await eventually(() => checkpoints.saved.get('forwarder') === end);
    await forwarder.stop();
    await consumer.stop();
    await endBus.close();
    expect(received).toEqual(['before its end']);
  });
});
