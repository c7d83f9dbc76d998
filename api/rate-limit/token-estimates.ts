import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { tokenCounterFor, type TokenEncodingName } from '../../gateway/tokens/index.js';
import { DEFAULT_CHAT_ALIAS } from '../../gateway/model-registry.js';
import type { ChatCompletionBody, EmbeddingsBody } from '../openai/chat-completion-schemas.js';
import { mapChatRequest } from '../openai/map-chat-request.js';
import type { requestTurnBody } from '../turns/turn-schemas.js';

/** The tokens a request will ask a model for, estimated from its validated body before any call. */
export type TokenEstimator = (body: unknown) => number;

/** The tokenizer of the model an alias's calls go to first, as the provider will count them. */
export type AliasEncoding = (alias: string) => TokenEncodingName;

/**
 * The routes that call models, keyed `METHOD url` as Fastify registered them, and how
 * to estimate each one's tokens: prompt tokens plus the output tokens asked for (the
 * default cap when the request does not say), as providers count tokens per minute.
 * A turn's history and retrieved context join its prompt later in the pipeline, so
 * its estimate is a floor.
 */
export function modelRouteTokenEstimators(defaultMaxOutputTokens: number, encodingOf: AliasEncoding): ReadonlyMap<string, TokenEstimator> {
  return new Map<string, TokenEstimator>([
    ['POST /v1/chat/completions', (body) => estimateChatCompletion(body as ChatCompletionBody, defaultMaxOutputTokens, encodingOf)],
    ['POST /v1/conversations/:id/turns', (body) => estimateTurn(body as z.infer<typeof requestTurnBody>, defaultMaxOutputTokens, encodingOf)],
    ['POST /v1/embeddings', (body) => estimateEmbeddings(body as EmbeddingsBody, encodingOf)],
  ]);
}

export const routeKeyOf = (request: FastifyRequest): string => `${request.method} ${request.routeOptions.url ?? ''}`;

/** Embeddings are billed by their input tokens alone. */
function estimateEmbeddings(body: EmbeddingsBody, encodingOf: AliasEncoding): number {
  const { input } = body;
  if (typeof input === 'string') return tokenCounterFor(body.model, encodingOf(body.model)).text(input);
  // Token ids are already counted: one per id.
  if (!input.every((item) => typeof item === 'string')) return input.reduce<number>((total, item) => total + (typeof item === 'number' ? 1 : item.length), 0);
  const counter = tokenCounterFor(body.model, encodingOf(body.model));
  return input.reduce((total, text) => total + counter.text(text), 0);
}

function estimateChatCompletion(body: ChatCompletionBody, defaultMaxOutputTokens: number, encodingOf: AliasEncoding): number {
  const mapped = mapChatRequest(body);
  const prompt = tokenCounterFor(body.model, encodingOf(body.model)).request({
    messages: mapped.messages,
    tools: mapped.tools,
    responseFormat: mapped.parameters.responseFormat,
  });
  // The route caps what a client asks for at the default, so the estimate does too.
  return prompt + Math.min(mapped.maxOutputTokens ?? defaultMaxOutputTokens, defaultMaxOutputTokens);
}

function estimateTurn(body: z.infer<typeof requestTurnBody>, defaultMaxOutputTokens: number, encodingOf: AliasEncoding): number {
  const alias = body.model ?? DEFAULT_CHAT_ALIAS;
  const prompt = tokenCounterFor(alias, encodingOf(alias)).messages([{ role: 'user', content: body.message }]);
  return prompt + (body.maxOutputTokens ?? defaultMaxOutputTokens);
}
