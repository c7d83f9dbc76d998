import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sendProblem } from './errors/error-handler.js';
import { problem } from './errors/problem.js';

/**
 * Answers a request not answered within `deadlineMs` with a 504 problem. Node's request
 * timeout covers only receiving a request; Fastify's own handler timeout is cleared when
 * a POST body has been read, so it never fires for the routes that matter. Streams are
 * hijacked replies and are not bounded here. The work the request started carries on and
 * is recorded as usual.
 */
export function installRequestDeadline(app: FastifyInstance, deadlineMs: number): void {
  app.addHook('onRequest', async (request, reply) => {
    const timer = setTimeout(() => {
      deadlines.delete(request);
      if (reply.sent || reply.raw.headersSent) return;
      request.log.warn({ deadlineMs }, 'request answered 504: it ran past its deadline');
      // OpenAI SDKs retry a 5xx by default; a retry would start the same work a second time.
      void reply.header('x-should-retry', 'false');
      void sendProblem(
        reply,
        problem(504, 'TESSERA_REQUEST_TIMEOUT', `the request did not finish within ${deadlineMs} ms; what it started may still complete and be recorded`, [], request.url),
      );
    }, deadlineMs);
    timer.unref();
    deadlines.set(request, timer);
    reply.raw.once('close', () => clearTimeout(timer));
  });
}

const deadlines = new WeakMap<FastifyRequest, NodeJS.Timeout>();

/**
 * For a stream that answers only once it has output (a streamed chat completion): its
 * length is bounded by the model call's own limits, not the request deadline, which
 * would otherwise answer 504 before a slow first token.
 */
export function releaseFromDeadline(request: FastifyRequest): void {
  clearTimeout(deadlines.get(request));
  deadlines.delete(request);
}
