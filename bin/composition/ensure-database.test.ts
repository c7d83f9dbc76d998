import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDatabaseExists } from './ensure-database.js';

describe('the first contact with PostgreSQL', () => {
  let silent: Server;
  const sockets: Socket[] = [];
  let port = 0;
  beforeAll(async () => {
    // Takes connections and never answers, as a hung server or a black-holing proxy does.
    silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    port = (silent.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('gives up on a server that never answers, naming TESSERA_DATABASE_URL, instead of hanging', async () => {
    const started = Date.now();
    await expect(ensureDatabaseExists(`postgres://postgres@127.0.0.1:${port}/anything`, 300)).rejects.toMatchObject({
      code: 'TESSERA_INVALID_CONFIG',
      message: expect.stringContaining(`TESSERA_DATABASE_URL: PostgreSQL at 127.0.0.1:${port} could not be reached`) as unknown,
    });
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
