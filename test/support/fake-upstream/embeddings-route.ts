import type { FastifyInstance } from 'fastify';
import { embedLexically } from '../../../gateway/providers/local/lexical-embedding.js';
import { countTokensApproximately } from '../../../gateway/tokens/approximate-token-count.js';
import { embeddingRequestSchema } from './chat-request.js';
import { dropConnection, pause, responseClosed } from './connection.js';
import { errorBody, errorHeaders, statusErrorBody } from './error-bodies.js';
import { resolveScenario } from './fake-scenario.js';
import { FakeDirectiveError } from './parse-directives.js';

/** Used when the request names no `dimensions`; matches the local embedding model's default. */
const DEFAULT_DIMENSIONS = 256;

/**
 * `POST /v1/embeddings` with the local provider's lexical vectors, so similar texts are
 * close here too. Honours `delay`, `status` and `disconnect-after-chunks` (from the
 * header, the model name or any input).
 */
export function registerEmbeddingsRoute(app: FastifyInstance): void {
  app.post('/v1/embeddings', async (request, reply) => {
    const parsed = embeddingRequestSchema.safeParse(request.body);
    if (!parsed.success) {
      return reply.code(400).send(errorBody(`Invalid embeddings request: ${parsed.error.message}`, 'invalid_request_error'));
    }
    const body = parsed.data;
    const inputs = typeof body.input === 'string' ? [body.input] : body.input;
    let scenario;
    try {
      scenario = resolveScenario({ model: body.model, texts: inputs, header: request.headers['x-fake-scenario'] });
    } catch (error) {
      if (!(error instanceof FakeDirectiveError)) throw error;
      return reply.code(400).send(errorBody(error.message, 'invalid_request_error', 'invalid_fake_directive'));
    }
    if (!(await pause(scenario.delayMs, responseClosed(reply.raw)))) return reply.hijack();
    if (scenario.disconnectAfterChunks !== undefined) {
      reply.hijack();
      return dropConnection(reply.raw);
    }
    if (scenario.status !== undefined) {
      return reply.code(scenario.status).headers(errorHeaders(scenario)).send(statusErrorBody(scenario.status));
    }

    const dimensions = body.dimensions ?? DEFAULT_DIMENSIONS;
    const promptTokens = inputs.reduce((total, input) => total + countTokensApproximately(input), 0);
    return reply.send({
      object: 'list',
      data: inputs.map((input, index) => {
        const vector = embedLexically(input, dimensions);
        const embedding = body.encoding_format === 'base64' ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
        return { object: 'embedding', index, embedding };
      }),
      model: body.model,
      usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
    });
  });
}
