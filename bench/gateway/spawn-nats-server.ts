import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChild } from './child-process.js';
import { findFreePort } from './free-port.js';

export interface NatsServerProcess {
  url: string;
  stop(): Promise<void>;
}

/**
 * A nats-server with JetStream for this run only, so the bench neither shares a server
 * with other runs' traffic nor leaves streams behind. (Before 2d9ead6 every Tessera on a
 * server also rewrote the subjects of one shared `TESSERA_DELTAS` stream, and a bench
 * on the shared server lost its deltas whenever another run started.)
 */
export async function spawnNatsServer(binary = '/usr/sbin/nats-server'): Promise<NatsServerProcess> {
  const port = await findFreePort();
  const storeDirectory = mkdtempSync(join(tmpdir(), 'tessera-bench-nats-'));
  const child = startChild('nats-server', binary, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDirectory], process.env);
  try {
    await child.waitForOutput(/Server is ready/, 15_000);
  } catch (error) {
    await child.stop(2_000);
    rmSync(storeDirectory, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    async stop() {
      await child.stop(5_000);
      rmSync(storeDirectory, { recursive: true, force: true });
    },
  };
}
