import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUndiciFetch } from './undici-fetch.js';

describe('the fetch given to the openai client', () => {
  let server: Server;
  let base: string;
  const undiciFetch = createUndiciFetch();
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
  afterAll(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));

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
