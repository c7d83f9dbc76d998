import type { FastifyInstance } from 'fastify';
import { chatRequestSchema, lastUserText } from './chat-request.js';
import { completionBody, streamChunks } from './completion-bodies.js';
import { dropConnection, pause, responseClosed, writeFlushed } from './connection.js';
import { contextOverflowBody, errorBody, errorHeaders, statusErrorBody } from './error-bodies.js';
import { composeCompletion, promptTokenCount } from './fake-completion.js';
import { resolveScenario, type FakeScenario } from './fake-scenario.js';
import { FakeDirectiveError } from './parse-directives.js';

/** The context window reported by `context-overflow` when no `context-window` is given. */
const DEFAULT_CONTEXT_WINDOW = 8192;

export interface ChatCompletionsRouteOptions {
  nextSequence: () => number;
  /** Pause between stream chunks, so clients see them arrive separately. */
  chunkDelayMs: number;
}

export function registerChatCompletionsRoute(app: FastifyInstance, options: ChatCompletionsRouteOptions): void {
  app.post('/v1/chat/completions', async (request, reply) => {
    const parsed = chatRequestSchema.safeParse(request.body);
    if (!parsed.success) {
      return reply.code(400).send(errorBody(`Invalid chat completion request: ${parsed.error.message}`, 'invalid_request_error'));
    }
    const body = parsed.data;
    let scenario: FakeScenario;
    try {
      scenario = resolveScenario({ model: body.model, texts: [lastUserText(body)], header: request.headers['x-fake-scenario'] });
    } catch (error) {
      if (!(error instanceof FakeDirectiveError)) throw error;
      return reply.code(400).send(errorBody(error.message, 'invalid_request_error', 'invalid_fake_directive'));
    }

    const closed = responseClosed(reply.raw);
    const streaming = body.stream === true;
    const waitBeforeHeaders = (scenario.delayMs ?? 0) + (streaming ? 0 : (scenario.hangBeforeFirstTokenMs ?? 0));
    if (!(await pause(waitBeforeHeaders, closed))) return reply.hijack();
    if (!streaming && scenario.disconnectAfterChunks !== undefined) {
      reply.hijack();
      return dropConnection(reply.raw);
    }
    if (scenario.status !== undefined) {
      return reply.code(scenario.status).headers(errorHeaders(scenario)).send(statusErrorBody(scenario.status));
    }
    const promptTokens = promptTokenCount(body);
    if (scenario.contextOverflow || (scenario.contextWindow !== undefined && promptTokens > scenario.contextWindow)) {
      return reply.code(400).send(contextOverflowBody(scenario.contextWindow ?? DEFAULT_CONTEXT_WINDOW, promptTokens));
    }

    const completion = composeCompletion(body, scenario, options.nextSequence());
    if (!streaming) return reply.header('x-request-id', completion.id).send(completionBody(completion));

    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-request-id': completion.id,
    });
    // Headers go out at once, as vLLM and OpenAI do, so a hang is a silent body, not a slow response.
    raw.flushHeaders();
    if (!(await pause(scenario.hangBeforeFirstTokenMs, closed))) return;
    let written = 0;
    for (const chunk of streamChunks(completion, body.stream_options?.include_usage === true)) {
      if (written === scenario.disconnectAfterChunks) return dropConnection(raw);
      await writeFlushed(raw, `data: ${JSON.stringify(chunk)}\n\n`);
      written += 1;
      if (!(await pause(options.chunkDelayMs, closed))) return;
    }
    if (scenario.disconnectAfterChunks !== undefined) return dropConnection(raw);
    raw.end('data: [DONE]\n\n');
  });
}
