import { request, type Agent } from 'node:http';
import { now } from '../support/timing.js';

export interface ExchangeTarget {
  /** http://127.0.0.1:port */
  origin: string;
  path: string;
  headers: Record<string, string>;
}

/** One request, timed from just before it was written, in milliseconds. */
export interface TimedExchange {
  status: number;
  /** Until the whole body arrived. */
  totalMs: number;
  /** Streams: until the first chunk carrying answer text (role-only chunks do not count). */
  firstContentMs?: number;
  /** Streams: until the last chunk carrying answer text. */
  lastContentMs?: number;
  /** Streams: chunks that carried answer text. */
  contentChunks: number;
  /** The answer text: the message content, or the stream's deltas joined. */
  content: string;
  /** The raw body, kept only when the status is not 200 (for the report). */
  errorBody?: string;
}

/**
 * POSTs a chat completion over a keep-alive agent and times it. `node:http` rather than
 * fetch: its per-request cost is smaller and steadier, which matters when the figure
 * of interest is a fraction of a millisecond.
 */
export function sendTimed(agent: Agent, target: ExchangeTarget, body: string, silenceTimeoutMs = 30_000): Promise<TimedExchange> {
  return new Promise((resolve, reject) => {
    const url = new URL(target.path, target.origin);
    const startedAt = now();
    const outgoing = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: { ...target.headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (response) => {
        const status = response.statusCode ?? 0;
        const isStream = (response.headers['content-type'] ?? '').startsWith('text/event-stream');
        const exchange: TimedExchange = { status, totalMs: 0, contentChunks: 0, content: '' };
        const pieces: string[] = [];
        let pending = '';
        response.setEncoding('utf8');
        response.on('data', (text: string) => {
          if (!isStream) {
            pieces.push(text);
            return;
          }
          pending += text;
          const arrivedAt = now() - startedAt;
          let boundary = pending.indexOf('\n\n');
          while (boundary !== -1) {
            readStreamFrame(pending.slice(0, boundary), exchange, arrivedAt);
            pending = pending.slice(boundary + 2);
            boundary = pending.indexOf('\n\n');
          }
        });
        response.once('error', reject);
        response.once('end', () => {
          exchange.totalMs = now() - startedAt;
          if (!isStream) {
            const text = pieces.join('');
            if (status === 200) exchange.content = messageContent(text);
            else exchange.errorBody = text.slice(0, 300);
          }
          resolve(exchange);
        });
      },
    );
    outgoing.once('error', reject);
    // A server that stops answering must fail the request, not stall the bench.
    outgoing.setTimeout(silenceTimeoutMs, () => outgoing.destroy(new Error(`no data for ${silenceTimeoutMs} ms`)));
    outgoing.end(body);
  });
}

/** One SSE frame of `chat.completion.chunk`s; comments and `[DONE]` carry no text. */
function readStreamFrame(frame: string, exchange: TimedExchange, arrivedAt: number): void {
  for (const line of frame.split('\n')) {
    if (!line.startsWith('data:')) continue;
    const data = line.slice(5).trim();
    if (data === '[DONE]') continue;
    const parsed = JSON.parse(data) as { choices?: { delta?: { content?: string | null } }[]; error?: unknown };
    if (parsed.error !== undefined) exchange.errorBody = data.slice(0, 300);
    const text = parsed.choices?.[0]?.delta?.content;
    if (typeof text !== 'string' || text.length === 0) continue;
    exchange.firstContentMs ??= arrivedAt;
    exchange.lastContentMs = arrivedAt;
    exchange.contentChunks += 1;
    exchange.content += text;
  }
}

function messageContent(text: string): string {
  try {
    const parsed = JSON.parse(text) as { choices?: { message?: { content?: string | null } }[] };
    return parsed.choices?.[0]?.message?.content ?? '';
  } catch {
    return '';
  }
}
