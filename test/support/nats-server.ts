import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A private nats-server with JetStream on a free port, for fault tests that stop and
 * restart it. The shared server other test files use is never touched.
 */
export interface PrivateNatsServer {
  url: string;
  storeDirectory: string;
  /** Sends SIGTERM and waits for the process to exit. */
  stop(): Promise<void>;
  /** Starts the server again with the same port and store directory. */
  start(): Promise<void>;
  /** Stops the server if it runs and removes its store directory. */
  dispose(): Promise<void>;
}

export interface PrivateNatsServerOptions {
  /** Defaults to the machine's `/usr/sbin/nats-server`. */
  binary?: string;
  /** How long to wait for "Server is ready"; defaults to 10 s. */
  readyTimeoutMs?: number;
}

export async function startPrivateNatsServer(options: PrivateNatsServerOptions = {}): Promise<PrivateNatsServer> {
  const binary = options.binary ?? '/usr/sbin/nats-server';
  const readyTimeoutMs = options.readyTimeoutMs ?? 10_000;
  const port = await freePort();
  const storeDirectory = mkdtempSync(join(tmpdir(), 'tessera-nats-'));
  const args = ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDirectory];
  let child: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    if (child) throw new Error('the private nats-server is already running');
    const spawned = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = spawned;
    spawned.once('exit', () => {
      if (child === spawned) child = undefined;
    });
    await waitUntilReady(spawned, readyTimeoutMs);
  };

  const stop = async (): Promise<void> => {
    const running = child;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill('SIGTERM');
    await exited;
  };

  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    storeDirectory,
    stop,
    start,
    async dispose() {
      await stop();
      rmSync(storeDirectory, { recursive: true, force: true });
    },
  };
}

function waitUntilReady(child: ChildProcess, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => fail(new Error(`nats-server not ready after ${timeoutMs} ms:\n${log}`)), timeoutMs);
    const onOutput = (chunk: Buffer): void => {
      log += chunk.toString();
      if (!log.includes('Server is ready')) return;
      cleanUp();
      resolve();
    };
    const onExit = (code: number | null): void =>
      fail(new Error(`nats-server exited with ${code} before it was ready:\n${log}`));
    const cleanUp = (): void => {
      clearTimeout(timer);
      child.stdout?.off('data', onOutput);
      child.stderr?.off('data', onOutput);
      child.off('exit', onExit);
      // Keep reading so a chatty server never blocks on a full pipe.
      child.stdout?.resume();
      child.stderr?.resume();
    };
    function fail(error: Error): void {
      cleanUp();
      child.kill('SIGKILL');
      reject(error);
    }
    child.stdout?.on('data', onOutput);
    child.stderr?.on('data', onOutput);
    child.once('exit', onExit);
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (typeof address === 'object' && address) resolve(address.port);
        else reject(new Error('the operating system gave no port'));
      });
    });
  });
}
