import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { problem } from './problem.js';

const CLIENT_ERRORS: Record<string, { status: number; code: string; field: string; detail: string }> = {
  HPE_HEADER_OVERFLOW: { status: 431, code: 'TESSERA_HEADERS_TOO_LARGE', field: 'headers', detail: 'the request headers are larger than the server accepts' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, code: 'TESSERA_REQUEST_TIMEOUT', field: 'body', detail: 'the request was not received in time (TESSERA_HTTP_REQUEST_TIMEOUT_MS)' },
};
const MALFORMED = { status: 400, code: 'TESSERA_MALFORMED_REQUEST', field: 'request', detail: 'the request is not valid HTTP' };

/**
 * What Node refuses before a request reaches a route (headers too large, a request
 * that never finished arriving, bytes that are not HTTP) still answers as problem+json,
 * like every other refusal.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  // A reset connection has nobody to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const known = (error.code && CLIENT_ERRORS[error.code]) || MALFORMED;
  const body = JSON.stringify(problem(known.status, known.code, known.detail, [{ field: known.field, message: known.detail }]));
  // A response already under way on this keep-alive connection must not get another written into it (as Node's own handler checks).
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !inFlight?.headersSent) {
    socket.write(
      `HTTP/1.1 ${known.status} ${STATUS_CODES[known.status] ?? ''}\r\n` +
        `Content-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
