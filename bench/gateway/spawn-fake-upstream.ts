import { fileURLToPath } from 'node:url';
import { startChild } from './child-process.js';
import { findFreePort } from './free-port.js';
import { TSX_LOADER } from './tsx-loader.js';

export interface FakeUpstreamProcess {
  /** Base URL ending in `/v1`. */
  url: string;
  pid: number;
  stop(): Promise<void>;
}

const SCRIPT = fileURLToPath(new URL('./fake-upstream-process.ts', import.meta.url));

/** The test suite's OpenAI-compatible fake, in its own process on 127.0.0.1. */
export async function spawnFakeUpstream(options: { chunkDelayMs?: number } = {}): Promise<FakeUpstreamProcess> {
  const port = await findFreePort();
  const child = startChild(
    'fake upstream',
    process.execPath,
    ['--import', TSX_LOADER, SCRIPT, '--port', String(port), '--chunk-delay-ms', String(options.chunkDelayMs ?? 0)],
    { ...process.env, NODE_ENV: 'production' },
  );
  const [, url] = await child.waitForOutput(/^FAKE_UPSTREAM_URL=(\S+)$/, 30_000);
  return {
    url: url ?? `http://127.0.0.1:${port}/v1`,
    pid: child.pid,
    stop: async () => void (await child.stop(5_000)),
  };
}
