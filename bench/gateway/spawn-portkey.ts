import { startChild } from './child-process.js';
import { findFreePort, waitUntilListening } from './free-port.js';
import { REPOSITORY_ROOT } from './tsx-loader.js';

export interface PortkeyProcess {
  url: string;
  pid: number;
  /** Error lines Portkey printed (it logs the cause of each 500 on stderr). */
  errorLines(): string[];
  stop(): Promise<void>;
}

const START_SERVER = `${REPOSITORY_ROOT}node_modules/@portkey-ai/gateway/build/start-server.js`;

/**
 * The Portkey gateway as its README starts it, on a free port. `--headless` leaves out
 * the console UI and its log-streaming middleware, which a production gateway would not
 * run either.
 */
export async function spawnPortkey(): Promise<PortkeyProcess> {
  const port = await findFreePort();
  const child = startChild('portkey', process.execPath, [START_SERVER, `--port=${port}`, '--headless'], {
    ...process.env,
    NODE_ENV: 'production',
  });
  await waitUntilListening(`http://127.0.0.1:${port}/`, 30_000, () => !child.exited());
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid,
    errorLines: () => child.matchingLines(/Error|error/),
    stop: async () => void (await child.stop(5_000)),
  };
}
