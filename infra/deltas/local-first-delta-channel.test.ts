import { randomUUID } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testServices } from '../../test/support/services.js';
import { withLocalDelivery } from './local-first-delta-channel.js';
import { createNatsDeltaChannel } from './nats/nats-delta-channel.js';
import type { DeltaChannel, TurnDelta } from './port.js';

/**
 * Two API processes share deltas through NATS. A follower in the process that
 * publishes gets each delta at once; one elsewhere gets them through NATS; nobody
 * gets one twice or out of order.
 */
describe('deltas delivered locally first, NATS for the rest', () => {
  let connection: NatsConnection;
  const suffix = randomUUID().replaceAll('-', '').slice(0, 12);
  const stream = `TEST_DELTAS_${suffix}`;
  let here: DeltaChannel;
  let elsewhere: DeltaChannel;

  beforeAll(async () => {
    connection = await connect({ servers: testServices.natsUrl, name: 'local-first-deltas-test' });
    const options = { stream, subjectPrefix: `test${suffix}.deltas` };
    here = withLocalDelivery(await createNatsDeltaChannel(connection, options));
    elsewhere = withLocalDelivery(await createNatsDeltaChannel(connection, options));
  });
  afterAll(async () => {
    await (await jetstreamManager(connection)).streams.delete(stream).catch(() => undefined);
    await connection.drain();
  });

  const delta = (turnId: string, sequence: number): TurnDelta => ({ turnId, sequence, step: 1, part: { type: 'text-delta', text: `w${sequence} ` } });

  async function collect(channel: DeltaChannel, turnId: string, count: number): Promise<{ deltas: TurnDelta[]; stop: () => void; done: Promise<void> }> {
    const controller = new AbortController();
    const deltas: TurnDelta[] = [];
    const done = (async () => {
      for await (const received of channel.follow(turnId, 0, controller.signal)) {
        deltas.push(received);
        if (deltas.length === count) controller.abort();
      }
    })();
    // A follower elsewhere opens its NATS consumer when nothing comes locally; publish once it can have.
    await new Promise((resolve) => setTimeout(resolve, 100));
    return { deltas, stop: () => controller.abort(), done };
  }

  const consumersOnStream = async () => (await (await jetstreamManager(connection)).streams.info(stream)).state.consumer_count;

  it('gives a follower in the publishing process each delta once, in order, without a NATS consumer while they flow', async () => {
    const turnId = randomUUID();
    const follower = await collect(here, turnId, 20);
    for (let sequence = 1; sequence <= 20; sequence += 1) {
      await here.publish(delta(turnId, sequence));
      if (sequence === 10) expect(await consumersOnStream()).toBe(0);
    }
    await follower.done;
    expect(follower.deltas.map((received) => received.sequence)).toEqual(Array.from({ length: 20 }, (_, index) => index + 1));
    expect(await consumersOnStream()).toBe(0);
  });

  it('opens NATS for a follower here once local deltas stop, and gets the ones another process publishes, once each', async () => {
    const turnId = randomUUID();
    const follower = await collect(here, turnId, 6);
    for (let sequence = 1; sequence <= 3; sequence += 1) await here.publish(delta(turnId, sequence));
    // The rest of the turn is answered by another process (a worker took over).
    for (let sequence = 4; sequence <= 6; sequence += 1) await elsewhere.publish(delta(turnId, sequence));
    await follower.done;
    expect(follower.deltas.map((received) => received.sequence)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('does not let a local delta overtake earlier ones still on their way through NATS', async () => {
    const turnId = randomUUID();
    for (let sequence = 1; sequence <= 3; sequence += 1) await here.publish(delta(turnId, sequence));
    const controller = new AbortController();
    const received: number[] = [];
    const done = (async () => {
      for await (const next of here.follow(turnId, 0, controller.signal)) {
        received.push(next.sequence);
        if (received.length === 6) controller.abort();
      }
    })();
    // Published here at once, while 1 to 3 are only reachable through NATS.
    for (let sequence = 4; sequence <= 6; sequence += 1) await here.publish(delta(turnId, sequence));
    await done;
    expect(received).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('brings a follower in another process the same deltas through NATS', async () => {
    const turnId = randomUUID();
    const local = await collect(here, turnId, 10);
    const remote = await collect(elsewhere, turnId, 10);
    for (let sequence = 1; sequence <= 10; sequence += 1) await here.publish(delta(turnId, sequence));
    await Promise.all([local.done, remote.done]);
    expect(remote.deltas.map((received) => received.sequence)).toEqual(local.deltas.map((received) => received.sequence));
    expect(remote.deltas).toHaveLength(10);
  });

  /** A channel of a process that is driving `turnId` until `endDrive` is called. */
  async function drivingChannel(turnId: string, sharedAfterIdleMs?: number) {
    let endDrive!: () => void;
    const drive = new Promise<void>((resolve) => (endDrive = resolve));
    const channel = withLocalDelivery(await createNatsDeltaChannel(connection, { stream, subjectPrefix: `test${suffix}.deltas` }), {
      sharedAfterIdleMs,
      drivenHere: (id) => (id === turnId ? drive : undefined),
    });
    return { channel, endDrive };
  }

  /** Follows until `count` deltas came; resolves with their sequences. */
  function followFor(channel: DeltaChannel, turnId: string, afterSequence: number, count: number): Promise<number[]> {
    const controller = new AbortController();
    return (async () => {
      const received: number[] = [];
      for await (const next of channel.follow(turnId, afterSequence, controller.signal)) {
        received.push(next.sequence);
        if (received.length === count) controller.abort();
      }
      return received;
    })();
  }

  it('keeps NATS closed for as long as this process drives the turn, however slow the model, and opens it after', async () => {
    const turnId = randomUUID();
    const consumersBefore = await consumersOnStream();
    const { channel: driven, endDrive } = await drivingChannel(turnId, 30);
    const received = followFor(driven, turnId, 0, 4);
    // A slow first token, then slow tokens: ten times the idle time, and still no consumer.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await driven.publish(delta(turnId, 1));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await driven.publish(delta(turnId, 2));
    const consumersWhileDriving = await consumersOnStream();
    // The drive ends short of the answer; another process publishes the rest.
    endDrive();
    await elsewhere.publish(delta(turnId, 3));
    await elsewhere.publish(delta(turnId, 4));
    expect(await received).toEqual([1, 2, 3, 4]);
    expect(consumersWhileDriving).toBe(consumersBefore);
  });

  it('gives a follower that comes after the first deltas were published here all of them, once each, without NATS', async () => {
    const turnId = randomUUID();
    const consumersBefore = await consumersOnStream();
    const { channel: driven, endDrive } = await drivingChannel(turnId);
    for (let sequence = 1; sequence <= 3; sequence += 1) await driven.publish(delta(turnId, sequence));
    const received = followFor(driven, turnId, 1, 5);
    for (let sequence = 4; sequence <= 6; sequence += 1) await driven.publish(delta(turnId, sequence));
    expect(await received).toEqual([2, 3, 4, 5, 6]);
    expect(await consumersOnStream()).toBe(consumersBefore);
    endDrive();
  });
});
