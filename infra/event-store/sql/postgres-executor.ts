import { createHash } from 'node:crypto';
import pg from 'pg';
import type { SqlExecutor } from './sql-executor.js';

export interface PostgresExecutorOptions {
  /** Close the pool with the store; true when the store created the pool. */
  ownsPool?: boolean;
  /** Delay before re-opening a lost LISTEN connection. */
  reconnectDelayMs?: number;
  /** Told about lost connections: the listener's (re-opened) and idle pool clients' (replaced on demand). */
  onConnectionError?: (error: Error) => void;
  /**
   * Send statements as named prepared statements (default true): each is parsed once
   * per connection, and planned once PostgreSQL finds its generic plan as good as a
   * fresh one. False for a pooler that does not carry prepared statements across
   * server connections (PgBouncer in transaction mode without `max_prepared_statements`).
   */
  preparedStatements?: boolean;
}

/**
 * The store's statements are a handful of constant texts, so naming each after its
 * text stays bounded; past the bound (texts built from values) statements go unnamed.
 */
const MAX_NAMED_STATEMENTS = 64;

/**
 * Statements go through the pool; LISTEN needs a connection of its own that stays
 * open, and is re-opened (with a wake-up, since notifications may have been missed)
 * whenever it drops.
 */
export function createPostgresExecutor(pool: pg.Pool, options: PostgresExecutorOptions = {}): SqlExecutor {
  const reconnectDelayMs = options.reconnectDelayMs ?? 500;
  const statementNames = new Map<string, string>();
  const statementName = (text: string): string | undefined => {
    if (options.preparedStatements === false) return undefined;
    let name = statementNames.get(text);
    if (name === undefined && statementNames.size < MAX_NAMED_STATEMENTS) {
      name = `tessera_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
      statementNames.set(text, name);
    }
    return name;
  };
  const listeners = new Map<string, Set<() => void>>();
  let listenClient: pg.Client | undefined;
  let connecting: Promise<pg.Client> | undefined;
  let closed = false;
  // An idle client that dies (server restart, admin kill) must not take the process down.
  pool.on('error', (error) => options.onConnectionError?.(error));

  const notifyAll = (channel?: string) => {
    for (const [name, callbacks] of listeners) {
      if (channel === undefined || channel === name) for (const callback of callbacks) callback();
    }
  };

  const connectListener = async (): Promise<pg.Client> => {
    const client = new pg.Client(pool.options);
    client.on('notification', (notification) => notifyAll(notification.channel));
    client.on('error', (error) => {
      options.onConnectionError?.(error);
      if (listenClient === client) listenClient = undefined;
      client.end().catch(() => undefined);
      scheduleReconnect();
    });
    await client.connect();
    for (const channel of listeners.keys()) await client.query(`listen ${quoteIdentifier(channel)}`);
    listenClient = client;
    return client;
  };

  const ensureListener = (): Promise<pg.Client> => {
    if (listenClient) return Promise.resolve(listenClient);
    connecting ??= connectListener().finally(() => {
      connecting = undefined;
    });
    return connecting;
  };

  const scheduleReconnect = () => {
    if (closed || listeners.size === 0) return;
    setTimeout(() => {
      if (closed) return;
      ensureListener().then(
        () => notifyAll(),
        (error: Error) => {
          options.onConnectionError?.(error);
          scheduleReconnect();
        },
      );
    }, reconnectDelayMs).unref();
  };

  return {
    async query<Row>(text: string, values?: readonly unknown[]) {
      const result = await pool.query({ name: statementName(text), text, values: values as unknown[] | undefined });
      return result.rows as Row[];
    },

    async listen(channel, onNotification) {
      let callbacks = listeners.get(channel);
      const isNewChannel = !callbacks;
      if (!callbacks) {
        callbacks = new Set();
        listeners.set(channel, callbacks);
      }
      callbacks.add(onNotification);
      const client = await ensureListener();
      if (isNewChannel) await client.query(`listen ${quoteIdentifier(channel)}`);
      return async () => {
        callbacks.delete(onNotification);
        if (callbacks.size > 0) return;
        listeners.delete(channel);
        await listenClient?.query(`unlisten ${quoteIdentifier(channel)}`).catch(() => undefined);
      };
    },

    async close() {
      closed = true;
      listeners.clear();
      const client = listenClient;
      listenClient = undefined;
      await client?.end().catch(() => undefined);
      if (options.ownsPool) await pool.end();
    },
  };
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
