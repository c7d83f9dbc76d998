import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../../domain/events/envelope.js';
import { isAfter, START_POSITION, type GlobalPosition } from '../../../domain/events/global-position.js';
import { newId } from '../../../domain/shared/ids.js';
import { streamId } from '../../../domain/shared/stream-id.js';
import { sqlBackends, type SqlBackend } from '../../../test/support/sql-backends.js';
import { itemAdded, itemRemoved } from '../../../test/support/test-events.js';
import { openNatsTestBus } from '../../../test/support/nats-test-bus.js';
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

  /** A bus whose one consumer settles nothing until released, recording the events it handled. */
  async function gatedBus() {
    const gatedBus = createInProcessBus();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const handled: RecordedEvent[] = [];
    const consumer = await gatedBus.consume({
      consumer: 'gated',
      subjects: ['tessera.events.>'],
      handler: async (delivery) => {
        await gate;
        handled.push(fromEventMessage(delivery.message));
      },
    });
    return {
      bus: gatedBus,
      release,
      handled,
      close: async () => {
        await consumer.stop();
        await gatedBus.close();
      },
    };
  }

  /** Checkpoints that start at the end of the log, so a forwarder sees only what a test appends. */
  async function checkpointsAtEnd() {
    const checkpoints = memoryCheckpoints();
    const before = (await backend.store.readAll({ after: START_POSITION, maxCount: 10_000 })).lastPosition;
    checkpoints.saved.set('forwarder', before);
    return { checkpoints, before };
  }

  it('checkpoints only what every consumer has settled, so a restart re-publishes the rest', async () => {
    const { bus: slowBus, release, handled, close } = await gatedBus();
    const { checkpoints, before } = await checkpointsAtEnd();
    const forwarder = startForwarder(backend.store, slowBus, checkpoints, { checkpointIntervalMs: 5 });
    const event = itemAdded('held');
    await backend.store.appendToStream(streamId('cart', newId()), [event]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(checkpoints.saved.get('forwarder')).toBe(before);
    release();
    await eventually(() => handled.some((received) => received.id === event.id));
    await eventually(() => checkpoints.saved.get('forwarder') !== before);
    await forwarder.stop();
    await close();
  });

  it('publishes only the named event types, and checkpoints past the others once what came before is settled', async () => {
    const { bus: filteredBus, release, handled, close } = await gatedBus();
    const { checkpoints, before } = await checkpointsAtEnd();
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
    await close();
    expect(handled.map((event) => event.type)).toEqual(['ItemAdded']);
  });

  it("passes over a stream's events that reach it together with the stream's end, and still forwards those that came before", async () => {
    const { bus: endBus, release, handled, close } = await gatedBus();
    release();
    const { checkpoints } = await checkpointsAtEnd();
    const forwarder = startForwarder(backend.store, endBus, checkpoints, { checkpointIntervalMs: 5, eventTypes: new Set(['ItemAdded']), endTypes: new Set(['ItemRemoved']) });
    const [endedAtOnce, endedLater] = [streamId('cart', newId()), streamId('cart', newId())];
    await backend.store.appendToStream(endedAtOnce, [itemAdded('with its end'), itemRemoved('end')]);
    await backend.store.appendToStream(endedLater, [itemAdded('before its end')]);
    await eventually(() => handled.length > 0);
    const { position: end } = await backend.store.appendToStream(endedLater, [itemAdded('with the later end'), itemRemoved('end')]);
    await eventually(() => checkpoints.saved.get('forwarder') === end);
    await forwarder.stop();
    await close();
    expect(handled.map((event) => (event.data as { sku: string }).sku)).toEqual(['before its end']);
  });

  /** Drives of streams "in this process" that a test ends by hand, each saying whether it ended its stream. */
  function drives() {
    const running = new Map<string, (ended: boolean) => void>();
    const promises = new Map<string, Promise<boolean>>();
    return {
      start(stream: string) {
        promises.set(stream, new Promise<boolean>((resolve) => running.set(stream, resolve)));
      },
      end(stream: string, ended: boolean) {
        running.get(stream)!(ended);
        promises.delete(stream);
      },
      drivenHere: (stream: string) => promises.get(stream),
    };
  }

  it('holds the events of a stream driven here until its drive ends: passed over when it ended the stream, published in order when not', async () => {
    const { bus: heldBus, release, handled, close } = await gatedBus();
    release();
    const { checkpoints, before } = await checkpointsAtEnd();
    const driven = drives();
    const forwarder = startForwarder(backend.store, heldBus, checkpoints, {
      checkpointIntervalMs: 5,
      eventTypes: new Set(['ItemAdded']),
      drivenHere: driven.drivenHere,
    });
    const [endedByItsDrive, leftUnfinished, notDriven] = [streamId('cart', newId()), streamId('cart', newId()), streamId('cart', newId())];
    driven.start(endedByItsDrive);
    driven.start(leftUnfinished);
    await backend.store.appendToStream(endedByItsDrive, [itemAdded('ended here')]);
    await backend.store.appendToStream(leftUnfinished, [itemAdded('unfinished 1')]);
    await backend.store.appendToStream(leftUnfinished, [itemAdded('unfinished 2')]);
    const { position: last } = await backend.store.appendToStream(notDriven, [itemAdded('not driven')]);

    // What is not held goes out at once; the checkpoint waits behind what is.
    await eventually(() => handled.length === 1);
    expect(handled.map((event) => (event.data as { sku: string }).sku)).toEqual(['not driven']);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(checkpoints.saved.get('forwarder')).toBe(before);

    driven.end(endedByItsDrive, true);
    driven.end(leftUnfinished, false);
    await eventually(() => checkpoints.saved.get('forwarder') === last);
    await forwarder.stop();
    await close();
    expect(handled.map((event) => (event.data as { sku: string }).sku)).toEqual(['not driven', 'unfinished 1', 'unfinished 2']);
  });

  it('publishes what it held once it has held it long enough, and tries again until the bus takes it', async () => {
    const { bus: heldBus, release, handled, close } = await gatedBus();
    release();
    let refusals = 1;
    const flakyBus: Bus = {
      ...heldBus,
      publish: (message) => (refusals-- > 0 ? Promise.reject(new Error('bus unavailable')) : heldBus.publish(message)),
    };
    const { checkpoints } = await checkpointsAtEnd();
    const errors: unknown[] = [];
    const forwarder = startForwarder(backend.store, flakyBus, checkpoints, {
      checkpointIntervalMs: 5,
      eventTypes: new Set(['ItemAdded']),
      drivenHere: () => new Promise<boolean>(() => undefined),
      maxHoldMs: 50,
      onError: (error) => errors.push(error),
    });
    const { position } = await backend.store.appendToStream(streamId('cart', newId()), [itemAdded('held, then refused once')]);
    await eventually(() => checkpoints.saved.get('forwarder') === position);
    await forwarder.stop();
    await close();
    expect(handled.map((event) => (event.data as { sku: string }).sku)).toEqual(['held, then refused once']);
    expect(errors).toHaveLength(1);
  });

  it('leaves what it holds for the next forwarder when it stops first: nothing held is lost', async () => {
    const { bus: heldBus, release, handled, close } = await gatedBus();
    release();
    const { checkpoints, before } = await checkpointsAtEnd();
    const driven = drives();
    const first = startForwarder(backend.store, heldBus, checkpoints, { checkpointIntervalMs: 5, eventTypes: new Set(['ItemAdded']), drivenHere: driven.drivenHere });
    const stream = streamId('cart', newId());
    driven.start(stream);
    const { position: held } = await backend.store.appendToStream(stream, [itemAdded('held when it stopped')]);
    const { position: last } = await backend.store.appendToStream(streamId('cart', newId()), [itemAdded('published')]);
    await eventually(() => handled.length === 1);
    await first.stop();
    // The drive dies with the process: its turn is left to the handlers.
    expect(checkpoints.saved.get('forwarder')).toBe(before);
    expect(isAfter(last, held)).toBe(true);

    const next = startForwarder(backend.store, heldBus, checkpoints, { checkpointIntervalMs: 5, eventTypes: new Set(['ItemAdded']) });
    await eventually(() => checkpoints.saved.get('forwarder') === last);
    await next.stop();
    await close();
    // The event published before the stop goes out again and the bus drops it as a duplicate.
    expect(handled.map((event) => (event.data as { sku: string }).sku)).toEqual(['published', 'held when it stopped']);
  });
});

describe('forwarder (JetStream, PGlite log)', () => {
  it('resumes from its checkpoint, not from the newest message on the bus, so an event held when it stopped still goes out', async () => {
    const backend = await sqlBackends.pglite();
    const { nats, bus, streamName, prefix, close } = await openNatsTestBus('forwarder_resume');
    try {
      const checkpoints = memoryCheckpoints();
      const options = { checkpointIntervalMs: 5, eventTypes: new Set(['ItemAdded']), subjectPrefix: prefix };
      const heldStream = streamId('cart', newId());
      const neverEnding = new Promise<boolean>(() => undefined);
      const first = startForwarder(backend.store, bus, checkpoints, { ...options, drivenHere: (stream) => (stream === heldStream ? neverEnding : undefined) });
      await backend.store.appendToStream(heldStream, [itemAdded('held')]);
      const { position: last } = await backend.store.appendToStream(streamId('cart', newId()), [itemAdded('published')]);
      const manager = await jetstreamManager(nats);
      await eventually(async () => (await manager.streams.info(streamName)).state.messages === 1);
      await first.stop();

      const next = startForwarder(backend.store, bus, checkpoints, options);
      await eventually(() => checkpoints.saved.get('forwarder') === last);
      await next.stop();
      const info = await manager.streams.info(streamName);
      // Both events, each once: the one published before the stop went out again and was dropped as a duplicate.
      expect(info.state.messages).toBe(2);
    } finally {
      await close();
      await backend.teardown();
    }
  });
});
