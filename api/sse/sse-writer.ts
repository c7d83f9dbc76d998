import type { FastifyReply } from 'fastify';

export interface SseWriter {
  /** Writes one event; resolves when the socket accepted it (backpressure). */
  send(event: { id?: string; event?: string; data: unknown }): Promise<void>;
  /** Resolves when the client goes away. */
  closed: Promise<void>;
  isClosed(): boolean;
  end(): void;
}

/**
 * Takes over the response for Server-Sent Events: no buffering by proxies, a comment
 * heartbeat so idle connections survive, and writes that wait for the socket.
 */
export function openSse(reply: FastifyReply, heartbeatMs = 15_000): SseWriter {
  // Headers the route already set (ids, rate limits) would be lost once hijacked.
  const routeHeaders = reply.getHeaders() as Record<string, string | number | string[]>;
  reply.hijack();
  const response = reply.raw;
  response.writeHead(200, {
    ...routeHeaders,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  response.flushHeaders();
  let closed = false;
  const closedPromise = new Promise<void>((resolve) => {
    const close = () => {
      closed = true;
      resolve();
    };
    // A connection already gone has fired its 'close': waiting for it would never end.
    if (response.destroyed) close();
    else response.on('close', close);
  });
  const heartbeat = setInterval(() => {
    if (!closed) response.write(': keep-alive\n\n');
  }, heartbeatMs);
  heartbeat.unref();
  void closedPromise.then(() => clearInterval(heartbeat));

  return {
    async send({ id, event, data }) {
      if (closed) return;
      let frame = '';
      if (id !== undefined) frame += `id: ${id}\n`;
      if (event !== undefined) frame += `event: ${event}\n`;
      frame += `data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
      if (!response.write(frame)) {
        await Promise.race([new Promise((resolve) => response.once('drain', resolve)), closedPromise]);
      }
    },
    closed: closedPromise,
    isClosed: () => closed,
    end() {
      clearInterval(heartbeat);
      if (!closed) response.end();
    },
  };
}
