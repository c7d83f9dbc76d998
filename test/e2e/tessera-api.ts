import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import type { RecordedEvent } from '../../domain/events/envelope.js';
import { START_POSITION } from '../../domain/events/global-position.js';
import type { RunningTessera } from '../support/tessera-harness.js';

/** What the end-to-end tests read back from one HTTP exchange. */
export interface ApiResponse<Body = unknown> {
  status: number;
  headers: Headers;
  /** Parsed JSON when the response is JSON (problem+json included), the text otherwise. */
  body: Body;
}

export interface ApiRequestOptions {
  /** Serialized as JSON unless `rawBody` is given. */
  body?: unknown;
  /** Sent exactly as given, for malformed and oversized bodies. */
  rawBody?: string;
  headers?: Record<string, string>;
  /** Defaults to the tenant's key; `null` sends no Authorization header. */
  key?: string | null;
}

export interface TimelineEntry {
  revision: number;
  type: string;
  occurredAt: string;
  data: Record<string, unknown>;
}

export interface TurnView {
  id: string;
  conversationId: string;
  status: string;
  answer: string | null;
  failure: { reason: string; message: string } | null;
  usage: { inputTokens: number; outputTokens: number; cachedInputTokens: number };
  timeline: TimelineEntry[];
}

export interface ConversationView {
  id: string;
  status: string;
  turnCount: number;
  usage: { inputTokens: number; outputTokens: number; costMicros: number };
  messages: { turnId: string; role: 'user' | 'assistant'; content: string; status: string }[];
  turns: { id: string; status: string; usage: { inputTokens: number; outputTokens: number; costMicros: number } }[];
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors: { field: string; message: string }[];
}

export interface ModelMessage {
  role: string;
  content: string;
}

/** A small client over real HTTP (`fetch`) for one running Tessera and one API key. */
export function apiClient(tessera: RunningTessera, defaultKey = tessera.tenant.key) {
  async function request<Body = unknown>(method: string, path: string, options: ApiRequestOptions = {}): Promise<ApiResponse<Body>> {
    const headers: Record<string, string> = { ...options.headers };
    const key = options.key === undefined ? defaultKey : options.key;
    if (key !== null) headers.authorization ??= `Bearer ${key}`;
    let payload: string | undefined;
    if (options.rawBody !== undefined) payload = options.rawBody;
    else if (options.body !== undefined) payload = JSON.stringify(options.body);
    if (payload !== undefined) headers['content-type'] ??= 'application/json';
    const response = await fetch(`${tessera.url}${path}`, { method, headers, body: payload });
    const text = await response.text();
    const type = response.headers.get('content-type') ?? '';
    const body = (type.includes('json') && text.length > 0 ? JSON.parse(text) : text) as Body;
    return { status: response.status, headers: response.headers, body };
  }

  return {
    request,

    async startConversation(body: Record<string, unknown> = {}): Promise<string> {
      const response = await request<{ id: string }>('POST', '/v1/conversations', { body });
      expect(response.status, JSON.stringify(response.body)).toBe(201);
      return response.body.id;
    },

    /** Sends a non-streamed turn and returns its id. */
    async sendTurn(conversationId: string, message: string, extra: Record<string, unknown> = {}): Promise<string> {
      const response = await request<{ id: string }>('POST', `/v1/conversations/${conversationId}/turns`, {
        body: { message, stream: false, ...extra },
      });
      expect(response.status, JSON.stringify(response.body)).toBe(202);
      return response.body.id;
    },

    /** Polls the turn until it has ended (completed or failed). */
    async waitForTurn(turnId: string, timeoutMs = 15_000): Promise<TurnView> {
      return poll(
        async () => (await request<TurnView>('GET', `/v1/turns/${turnId}`)).body,
        (turn) => turn.status === 'completed' || turn.status === 'failed',
        timeoutMs,
        `turn ${turnId} to end`,
      );
    },

    /** Polls the conversation view until `until` holds (the projection is asynchronous). */
    async waitForConversation(conversationId: string, until: (view: ConversationView) => boolean, timeoutMs = 15_000): Promise<ConversationView> {
      return poll(
        async () => {
          const response = await request<ConversationView>('GET', `/v1/conversations/${conversationId}`);
          return response.status === 200 ? response.body : undefined;
        },
        (view) => view !== undefined && until(view),
        timeoutMs,
        `conversation ${conversationId} to be projected`,
      ) as Promise<ConversationView>;
    },
  };
}

export type ApiClient = ReturnType<typeof apiClient>;

/** Calls `read` until `until` holds; fails naming what it waited for, with the last value seen. */
export async function poll<Value>(read: () => Promise<Value>, until: (value: Value) => boolean, timeoutMs: number, what: string): Promise<Value> {
  const deadline = Date.now() + timeoutMs;
  let last: Value = await read();
  while (!until(last)) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${JSON.stringify(last)}`);
    await sleep(25);
    last = await read();
  }
  return last;
}

/** Asserts an RFC 9457 problem: status, content type, stable code and (when given) the field it names. */
export function expectProblem(response: ApiResponse, status: number, code?: string, field?: string): Problem {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const problem = response.body as Problem;
  const anyString = expect.any(String) as unknown;
  expect(problem).toMatchObject({ status, type: anyString, title: anyString, detail: anyString });
  expect(problem.code).toMatch(/^TESSERA_[A-Z_]+$/);
  expect(Array.isArray(problem.errors)).toBe(true);
  for (const entry of problem.errors) expect(entry).toEqual({ field: anyString, message: anyString });
  if (code !== undefined) expect(problem.code).toBe(code);
  if (field !== undefined) expect(problem.errors.map((entry) => entry.field)).toContain(field);
  return problem;
}

/** The event types of a timeline, in order. */
export const typesOf = (timeline: readonly TimelineEntry[]): string[] => timeline.map((entry) => entry.type);

export function eventOf(timeline: readonly TimelineEntry[], type: string): TimelineEntry {
  const found = timeline.find((entry) => entry.type === type);
  if (!found) throw new Error(`no ${type} in the timeline: ${typesOf(timeline).join(', ')}`);
  return found;
}

/** Every event in the log, in global order. */
export async function readLog(tessera: RunningTessera): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  let after = START_POSITION;
  for (;;) {
    const batch = await tessera.backend.store.readAll({ after });
    events.push(...batch.events);
    if (batch.isEnd || batch.events.length === 0) return events;
    after = batch.lastPosition;
  }
}

/** How many events the log holds. */
export async function countEvents(tessera: RunningTessera): Promise<number> {
  const { store } = tessera.backend;
  if (!store.countEvents) throw new Error('this event store cannot count its events');
  return store.countEvents();
}
