import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Bus, ConsumerHandle } from '../port.js';
import { assertPublishableSubject, assertSubjectPatterns } from '../subject-pattern.js';
import { resolveConsumeSettings } from '../consume-settings.js';
import { createDeadLetterStore } from './dead-letters.js';
import { startDurablePullConsumer } from './durable-pull-consumer.js';
import { ensureStreams } from './ensure-streams.js';
import { decodeMessage, encodeHeaders } from './message-codec.js';
import { resolveNatsBusSettings, type NatsBusConnectOptions, type NatsBusOptions } from './nats-bus-options.js';

// Connection states worth telling a consumer about; pings and reconnect attempts are noise.
const REPORTED_CONNECTION_STATES = new Set(['disconnect', 'reconnect', 'ldm', 'error', 'staleConnection', 'close']);

/**
 * A bus on NATS JetStream. With a connection, the caller owns it and closes it; with
 * options, the bus opens its own (reconnecting forever) and drains it on close. Either
 * way the streams are ensured before this resolves. `settled` resolves at once: the
 * stream holds the message as soon as the publish is acked.
 */
export async function createNatsBus(connection: NatsConnection, options?: NatsBusOptions): Promise<Bus>;
export async function createNatsBus(options: NatsBusConnectOptions): Promise<Bus>;
export async function createNatsBus(
  target: NatsConnection | NatsBusConnectOptions,
  options: NatsBusOptions = {},
): Promise<Bus> {
  const ownsConnection = !isConnection(target);
  const settings = resolveNatsBusSettings(ownsConnection ? target : options);
  const connection = ownsConnection
    ? await connect({ servers: target.servers, name: target.connectionName ?? 'tessera-bus', maxReconnectAttempts: -1 })
    : target;
  let manager: JetStreamManager;
  try {
    manager = await jetstreamManager(connection, { timeout: settings.requestTimeoutMs });
    await ensureStreams(manager, settings);
  } catch (error) {
    if (ownsConnection) await connection.close();
    throw error;
  }
  const client = manager.jetstream();
  const deadLetters = createDeadLetterStore(client, manager, {
    stream: settings.deadLetterStream,
    subjectPrefix: settings.deadLetterSubjectPrefix,
    timeoutMs: settings.requestTimeoutMs,
  });

  const connectionListeners = new Set<(status: string) => void>();
  void (async () => {
    for await (const status of connection.status()) {
      if (!REPORTED_CONNECTION_STATES.has(status.type)) continue;
      for (const listener of connectionListeners) listener(status.type);
    }
  })().catch(() => undefined);

  const handles = new Set<ConsumerHandle>();
  let closed = false;
  const assertOpen = (): void => {
    if (closed) throw new Error('the NATS bus is closed');
  };

  return {
    async publish(message) {
      assertOpen();
      assertPublishableSubject(message.subject);
      if (message.id.length === 0) throw new TypeError('a bus message needs an id');
      const acknowledgement = await client.publish(message.subject, message.payload, {
        msgID: message.id,
        headers: encodeHeaders(message),
        timeout: settings.requestTimeoutMs,
      });
      return { duplicate: acknowledgement.duplicate, settled: Promise.resolve() };
    },

    async consume(consumeOptions) {
      assertOpen();
      const handle = await startDurablePullConsumer(
        {
          client,
          manager,
          stream: settings.stream,
          deadLetters,
          pullExpiresMs: settings.pullExpiresMs,
          restartDelayMs: settings.restartDelayMs,
          serverFiltersManySubjects: serverAtLeast(connection, 2, 10),
          watchConnection: (listener) => {
            connectionListeners.add(listener);
            return () => connectionListeners.delete(listener);
          },
          isConnectionClosed: () => connection.isClosed(),
        },
        resolveConsumeSettings(consumeOptions),
      );
      handles.add(handle);
      return { stop: () => handle.stop().finally(() => handles.delete(handle)) };
    },

    async lastMessage(subjects) {
      assertSubjectPatterns([subjects]);
      const stored = await manager.streams.getMessage(settings.stream, { last_by_subj: subjects });
      return stored ? decodeMessage(stored.subject, stored.data, stored.header, String(stored.seq)) : undefined;
    },

    readDeadLetters: (consumer, readOptions) => deadLetters.read(consumer, readOptions?.limit),

    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...handles].map((handle) => handle.stop()));
      // Acks are fire-and-forget publishes; flushing makes sure the last ones left.
      if (ownsConnection) await connection.drain();
      else if (!connection.isClosed()) await connection.flush();
    },
  };
}

function isConnection(target: NatsConnection | NatsBusConnectOptions): target is NatsConnection {
  return typeof (target as Partial<NatsConnection>).publish === 'function';
}

function serverAtLeast(connection: NatsConnection, major: number, minor: number): boolean {
  const [serverMajor = 0, serverMinor = 0] = (connection.info?.version ?? '0.0').split('.').map(Number);
  return serverMajor > major || (serverMajor === major && serverMinor >= minor);
}
