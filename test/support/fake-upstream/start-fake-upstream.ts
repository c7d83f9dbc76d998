import Fastify from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';
import { registerChatCompletionsRoute } from './chat-completions-route.js';
import { registerEmbeddingsRoute } from './embeddings-route.js';
import { statusErrorBody } from './error-bodies.js';

export interface RecordedRequest {
  method: string;
  /** Path without the query string, e.g. `/v1/chat/completions`. */
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body, as the client sent it. */
  body: unknown;
}

export interface FakeUpstreamOptions {
  /** Defaults to a free port on 127.0.0.1. */
  port?: number;
  /** When set, requests without `Authorization: Bearer <apiKey>` get a 401. */
  apiKey?: string;
  /** Listed by `GET /v1/models`; any model name is served either way. */
  models?: readonly string[];
  /** Pause between stream chunks; defaults to 0. */
  chunkDelayMs?: number;
}

export interface FakeUpstream {
  /** Base URL ending in `/v1`, ready for `new OpenAI({ baseURL })`. */
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/**
 * The one sanctioned double: an OpenAI-compatible server the real `openai` SDK talks to.
 * Behaviour comes from the request (see `parse-directives.ts`), so tests share nothing
 * but the port.
 */
export async function startFakeUpstream(options: FakeUpstreamOptions = {}): Promise<FakeUpstream> {
  // Hanging streams must not hold `close()` up: every connection is cut when it runs.
  const app = Fastify({ logger: false, forceCloseConnections: true, bodyLimit: 16 * 1024 * 1024 });
  const requests: RecordedRequest[] = [];
  let sequence = 0;

  app.addHook('preHandler', async (request, reply) => {
    requests.push({
      method: request.method,
      path: request.url.split('?')[0] ?? request.url,
      headers: { ...request.headers },
      body: request.body,
    });
    if (options.apiKey !== undefined && request.headers.authorization !== `Bearer ${options.apiKey}`) {
      return reply.code(401).send(statusErrorBody(401));
    }
  });

  registerChatCompletionsRoute(app, { nextSequence: () => (sequence += 1), chunkDelayMs: options.chunkDelayMs ?? 0 });
  registerEmbeddingsRoute(app);
  app.get('/v1/models', async () => ({
    object: 'list',
    data: (options.models ?? ['fake-chat', 'fake-embed']).map((id) => ({ id, object: 'model', created: 0, owned_by: 'fake-upstream' })),
  }));

  const address = await app.listen({ host: '127.0.0.1', port: options.port ?? 0 });
  return {
    url: `${address}/v1`,
    requests,
    close: () => app.close(),
  };
}
