import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../domain/shared/ids.js';
import { streamId } from '../../domain/shared/stream-id.js';
import { withEventSchemas } from '../../infra/event-store/schema-checked-event-store.js';
import { createPostgresEventStore, migratePostgresEventLog } from '../../infra/event-store/sql/postgres-event-store.js';
import type { EventStore } from '../../infra/event-store/port.js';
import { createPostgresKyselyFromUrl } from '../../infra/sql/kysely.js';
import { migrateCheckpoints } from '../../projections/checkpoints/checkpoint-store.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres-database.js';
import { openNatsTestBus, type NatsTestBus } from '../support/nats-test-bus.js';
import { testServices } from '../support/services.js';
import { itemAdded, testRegistry } from '../support/test-events.js';

const FORWARDER_SCRIPT = fileURLToPath(new URL('../support/forwarder-process.ts', import.meta.url));
const TSX_LOADER = fileURLToPath(new URL('../../node_modules/tsx/dist/esm/index.mjs', import.meta.url));

/**
 * The forwarder is killed with SIGKILL at arbitrary moments while events are being
 * appended, and restarted: the events stream must end up holding every event exactly
 * once, and a consumer must receive each exactly once.
 */
describe('forwarder killed mid-stream', () => {
  let database: TestDatabase;
  let store: EventStore;
  let natsBus: NatsTestBus;
  let streamName: string;
  let prefix: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    await migratePostgresEventLog(database.url);
    const db = createPostgresKyselyFromUrl<unknown>(database.url, 1);
    await migrateCheckpoints(db as never);
    await db.destroy();
    store = withEventSchemas(createPostgresEventStore(new pg.Pool({ connectionString: database.url, max: 4 }), { ownsPool: true }), testRegistry());
    natsBus = await openNatsTestBus('forwarder_kill');
    ({ streamName, prefix } = natsBus);
  });

  afterAll(async () => {
    await natsBus.close();
    await store.close();
    await database.drop();
  });

  function spawnForwarder(): Promise<ChildProcess> {
    const child = spawn(process.execPath, ['--import', TSX_LOADER, FORWARDER_SCRIPT], {
      env: {
        ...process.env,
        FORWARDER_DATABASE_URL: database.url,
        FORWARDER_NATS_URL: testServices.natsUrl,
        FORWARDER_STREAM: streamName,
        FORWARDER_PREFIX: prefix,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    return new Promise((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('ready')) resolve(child);
      });
      child.once('exit', (code) => reject(new Error(`forwarder exited early with ${code}`)));
    });
  }

  async function kill(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  it('publishes every event exactly once across SIGKILLs and restarts', async () => {
    const appended: string[] = [];
    let appending = true;
    const writer = (async () => {
      const stream = streamId('cart', newId());
      while (appending) {
        const events = Array.from({ length: 5 }, (_, i) => itemAdded(`k${i}`));
        await store.appendToStream(stream, events);
        appended.push(...events.map((event) => event.id));
        await new Promise((resolve) => setTimeout(resolve, 3));
      }
    })();

    for (let round = 0; round < 4; round += 1) {
      const child = await spawnForwarder();
      await new Promise((resolve) => setTimeout(resolve, 150 + Math.random() * 400));
      await kill(child);
    }
    appending = false;
    await writer;

    const received: string[] = [];
    const consumer = await natsBus.bus.consume({
      consumer: `kill-check-${streamName}`,
      subjects: [`${prefix}.>`],
      handler: async (delivery) => void received.push(delivery.message.id),
    });
    const last = await spawnForwarder();
    const deadline = Date.now() + 30_000;
    while (received.length < appended.length && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    await kill(last);
    await consumer.stop();

    const manager = await jetstreamManager(natsBus.nats);
    const info = await manager.streams.info(streamName);
    expect(appended.length).toBeGreaterThan(100);
    expect(info.state.messages).toBe(appended.length);
    expect(received).toHaveLength(appended.length);
    expect(received).toEqual(appended);
  });
});
