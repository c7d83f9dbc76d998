import { request, type Agent, type IncomingMessage } from 'node:http';
import { now } from '../support/timing.js';
import { onSseEvents } from './sse-events.js';

export interface TesseraApi {
  /** http://127.0.0.1:port */
  origin: string;
  key: string;
  agent: Agent;
}

/** A streamed turn as the client saw it, in milliseconds from just before the request was written. */
export interface TurnTiming {
  outcome: 'completed' | 'failed' | 'ended-early';
  /** Until the TurnCompleted (or TurnFailed) frame arrived. */
  totalMs: number;
  /** When each kind of frame first arrived: TurnRequested, text-delta, PromptBuilt… */
  firstArrival: Map<string, number>;
  /** What went wrong, when the turn did not complete. */
  failure?: string;
}

const TERMINAL = new Set(['TurnCompleted', 'TurnFailed']);

/** `POST /v1/conversations`; returns the new id. */
export async function startConversation(api: TesseraApi): Promise<string> {
  const { status, body } = await postJson(api, '/v1/conversations', {});
  if (status !== 201) throw new Error(`POST /v1/conversations: HTTP ${status} ${body.slice(0, 200)}`);
  return (JSON.parse(body) as { id: string }).id;
}

/**
 * `POST /v1/conversations/:id/turns` with `stream: true`, read until the turn's
 * terminal frame; the connection is released as soon as it arrives.
 */
export function streamTurn(api: TesseraApi, conversationId: string, message: string, silenceTimeoutMs = 30_000): Promise<TurnTiming> {
  return new Promise((resolve, reject) => {
    const startedAt = now();
    const firstArrival = new Map<string, number>();
    let settled = false;
    const settle = (timing: Omit<TurnTiming, 'firstArrival' | 'totalMs'>) => {
      if (settled) return;
      settled = true;
      resolve({ ...timing, totalMs: now() - startedAt, firstArrival });
    };
    const outgoing = open(api, `/v1/conversations/${conversationId}/turns`, { message, stream: true }, (response) => {
      if (response.statusCode !== 200) {
        readBody(response).then((body) => settle({ outcome: 'failed', failure: `HTTP ${response.statusCode} ${body.slice(0, 200)}` }), reject);
        return;
      }
      onSseEvents(response, ({ event, data }) => {
        if (!firstArrival.has(event)) firstArrival.set(event, now() - startedAt);
        if (!TERMINAL.has(event)) return;
        settle(event === 'TurnCompleted' ? { outcome: 'completed' } : { outcome: 'failed', failure: `TurnFailed ${data.slice(0, 200)}` });
      });
      response.once('end', () => settle({ outcome: 'ended-early', failure: 'the stream ended before the turn did' }));
      response.once('error', reject);
    });
    outgoing.once('error', reject);
    outgoing.setTimeout(silenceTimeoutMs, () => outgoing.destroy(new Error(`no data for ${silenceTimeoutMs} ms`)));
  });
}

/** Any JSON POST, whole body read. */
export function postJson(api: TesseraApi, path: string, body: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = open(api, path, body, (response) => {
      readBody(response).then((text) => resolve({ status: response.statusCode ?? 0, body: text }), reject);
    });
    outgoing.once('error', reject);
    outgoing.setTimeout(30_000, () => outgoing.destroy(new Error(`POST ${path}: no answer in 30 s`)));
  });
}

function open(api: TesseraApi, path: string, body: unknown, onResponse: (response: IncomingMessage) => void) {
  const text = JSON.stringify(body);
  const url = new URL(path, api.origin);
  const outgoing = request(
    {
      agent: api.agent,
      host: url.hostname,
      port: url.port,
      path: url.pathname,
      method: 'POST',
      headers: { authorization: `Bearer ${api.key}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) },
    },
    onResponse,
  );
  outgoing.end(text);
  return outgoing;
}

function readBody(response: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const pieces: string[] = [];
    response.setEncoding('utf8');
    response.on('data', (piece: string) => pieces.push(piece));
    response.once('end', () => resolve(pieces.join('')));
    response.once('error', reject);
  });
}
