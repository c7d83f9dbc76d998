import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUndiciFetch } from './undici-fetch.js';

describe('the fetch given to the openai client', () => {
  let server: Server;
  let base: string;
  const agent = new Agent();
  const undiciFetch = createUndiciFetch(agent);
  const routes = new Map<string, (request: IncomingMessage, body: string, response: ServerResponse) => void>();

  beforeAll(async () => {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => routes.get(request.url ?? '')?.(request, Buffer.concat(chunks).toString(), response));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await agent.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('sends the method, headers and body, and answers with the status, every header and the body', async () => {
    routes.set('/echo', (request, body, response) => {
      response.setHeader('set-cookie', ['a=1', 'b=2']);
      response.setHeader('retry-after-ms', '250');
      response.writeHead(429, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ method: request.method, auth: request.headers.authorization, body }));
    });
    const response = await undiciFetch(`${base}/echo`, { method: 'POST', headers: { Authorization: 'Bearer k' }, body: '{"x":1}' });
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after-ms')).toBe('250');
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(await response.json()).toEqual({ method: 'POST', auth: 'Bearer k', body: '{"x":1}' });
  });

  it('hands over a streamed body as it arrives, not when it ends', async () => {
    let finish!: () => void;
    routes.set('/stream', (_request, _body, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write('data: first\n\n');
      finish = () => response.end('data: [DONE]\n\n');
    });
    const response = await undiciFetch(`${base}/stream`, { method: 'POST', body: '{}' });
    const reader = response.body!.getReader() as ReadableStreamDefaultReader<Uint8Array>;
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe('data: first\n\n');
    finish();
    let rest = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += new TextDecoder().decode(chunk.value);
    expect(rest).toBe('data: [DONE]\n\n');
  });

  it('fails with an AbortError when the signal aborts, as the client expects of fetch', async () => {
    routes.set('/hang', () => undefined);
    const controller = new AbortController();
    const pending = undiciFetch(`${base}/hang`, { method: 'POST', body: '{}', signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('fails a body cut off by the upstream as fetch does, with TypeError: terminated and the cause', async () => {
    routes.set('/cut', (_request, _body, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write('data: partial\n\n', () => response.socket?.destroy());
    });
    const response = await undiciFetch(`${base}/cut`, { method: 'POST', body: '{}' });
    const failure = await response.text().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(TypeError);
    expect(failure).toMatchObject({ message: 'terminated', cause: expect.any(Error) as unknown });
  });

  it('answers a reason phrase a Response cannot carry without it, and frees the connection of a status it cannot describe', async () => {
    // Raw bytes: Node's own server refuses to send either response.
    const sockets = new Set<Socket>();
    const raw = createNetServer((socket) => {
      sockets.add(socket);
      socket.once('data', (request) => {
        const odd = request.toString().startsWith('POST /odd-status');
        const statusLine = odd ? 'HTTP/1.1 600 Odd' : `HTTP/1.1 200 OK ${String.fromCodePoint(0x2713)}`;
        socket.write(Buffer.concat([Buffer.from(statusLine, 'utf8'), Buffer.from('\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}')]));
      });
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    const rawBase = `http://127.0.0.1:${(raw.address() as AddressInfo).port}`;
    try {
      const accented = await undiciFetch(`${rawBase}/accented`, { method: 'POST', body: '{}' });
      expect(accented.status).toBe(200);
      expect(await accented.json()).toEqual({});

      await expect(undiciFetch(`${rawBase}/odd-status`, { method: 'POST', body: '{}' })).rejects.toThrow(RangeError);
      await expect.poll(() => agent.stats[rawBase]?.running ?? 0).toBe(0);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => raw.close(() => resolve()));
    }
  });

  it('gives no body for a 204, and sends other kinds of body through the platform fetch', async () => {
    routes.set('/empty', (_request, _body, response) => response.writeHead(204).end());
    const empty = await undiciFetch(`${base}/empty`, { method: 'DELETE' });
    expect(empty.status).toBe(204);
    expect(empty.body).toBeNull();

    routes.set('/form', (request, body, response) => response.end(JSON.stringify({ type: request.headers['content-type'], body })));
    const form = new FormData();
    form.append('purpose', 'batch');
    const sent = (await (await undiciFetch(`${base}/form`, { method: 'POST', body: form })).json()) as { type: string; body: string };
    expect(sent.type).toMatch(/^multipart\/form-data; boundary=/);
    expect(sent.body).toContain('name="purpose"');
  });
});
