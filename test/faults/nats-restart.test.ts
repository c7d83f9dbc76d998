import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createNatsBus } from '../../infra/bus/nats/index.js';
import type { Bus, ConsumerEvent } from '../../infra/bus/port.js';
import { startPrivateNatsServer, type PrivateNatsServer } from '../support/nats-server.js';

const MESSAGES = 120;
const KILL_AFTER = 40;
const DOWNTIME_MS = 1500;
const REPLAYED = 10;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('NATS restart mid-stream', () => {
  let server: PrivateNatsServer;
  let connection: NatsConnection;
  let bus: Bus;

  beforeAll(async () => {
    server = await startPrivateNatsServer();
    connection = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    bus = await createNatsBus(connection, {
      stream: 'FAULT',
      subjects: ['fault.>'],
      storage: 'file',
      deadLetterStream: 'FAULT_DEAD_LETTERS',
      deadLetterSubjectPrefix: 'fault-dead-letters',
      pullExpiresMs: 2000,
      restartDelayMs: 200,
      requestTimeoutMs: 500,
    });
  });
  afterAll(async () => {
    await bus?.close();
    await connection?.close();
    await server?.dispose();
  });

  it('handles every published message at least once, and publish retries store no duplicates', async () => {
    const handled = new Map<string, number>();
    const handledBeforeKill: string[] = [];
    const statuses: string[] = [];
    let killed = false;
    const handle = await bus.consume({
      consumer: 'fault-worker',
      subjects: ['fault.>'],
      concurrency: 4,
      ackWaitMs: 2000,
      backoffMs: [50],
      onEvent: (event: ConsumerEvent) => {
        if (event.kind === 'status') statuses.push(event.status);
      },
      handler: async (delivery) => {
        const { id } = delivery.message;
        handled.set(id, (handled.get(id) ?? 0) + 1);
        if (!killed) handledBeforeKill.push(id);
        await sleep(2);
      },
    });

    const published: string[] = [];
    let failedAttempts = 0;
    // A publish that fails while the server is down is retried with the same id; an
    // attempt that timed out may still have reached the stream, and dedup must catch that.
    const publishUntilAccepted = async (index: number): Promise<boolean> => {
      const id = `message-${index}`;
      for (;;) {
        try {
          const payload = new TextEncoder().encode(id);
          return (await bus.publish({ id, subject: `fault.item.${index % 7}`, payload })).duplicate;
        } catch {
          failedAttempts += 1;
          await sleep(100);
        }
      }
    };
    const publishAll = async (): Promise<void> => {
      for (let index = 1; index <= MESSAGES; index += 1) {
        await publishUntilAccepted(index);
        published.push(`message-${index}`);
        await sleep(10);
      }
    };
    let replayedAsDuplicates = 0;
    const restartMidStream = async (): Promise<void> => {
      await vi.waitFor(() => expect(published.length).toBeGreaterThanOrEqual(KILL_AFTER), {
        timeout: 10_000,
        interval: 5,
      });
      const lastBeforeKill = published.length;
      killed = true;
      await server.stop();
      await sleep(DOWNTIME_MS);
      await server.start();
      // A forwarder restarting from an older checkpoint publishes these again: the
      // duplicate window has to have survived the server restart.
      for (let index = lastBeforeKill - REPLAYED + 1; index <= lastBeforeKill; index += 1) {
        if (await publishUntilAccepted(index)) replayedAsDuplicates += 1;
      }
    };

    await Promise.all([publishAll(), restartMidStream()]);
    await vi.waitFor(() => expect(handled.size).toBe(MESSAGES), { timeout: 20_000, interval: 50 });

    expect(new Set(handled.keys())).toEqual(new Set(published));
    // Redeliveries are allowed (an ack lost with the server, or a consumer state the
    // restart took back a little, which JetStream may redeliver as a first delivery), but
    // no publish retry may have stored a second copy: the stream holds each message once.
    const manager = await jetstreamManager(connection);
    const stream = await manager.streams.info('FAULT');
    expect(stream.state.messages).toBe(MESSAGES);
    expect(stream.state.last_seq).toBe(MESSAGES);
    // The fault really happened mid-stream: work was done before it, publishes failed during it.
    expect(handledBeforeKill.length).toBeGreaterThan(0);
    expect(new Set(handledBeforeKill).size).toBeLessThan(MESSAGES);
    expect(failedAttempts).toBeGreaterThan(0);
    expect(replayedAsDuplicates).toBe(REPLAYED);
    expect(statuses).toEqual(expect.arrayContaining(['connection-disconnect', 'connection-reconnect']));

    await vi.waitFor(
      async () => {
        const consumer = await manager.consumers.info('FAULT', 'fault-worker');
        expect(consumer.num_pending + consumer.num_ack_pending).toBe(0);
      },
      { timeout: 10_000, interval: 100 },
    );
    expect(await bus.readDeadLetters('fault-worker')).toEqual([]);
    await handle.stop();
  });
});
