import { createRequire } from 'node:module';
import { LRUCache } from 'lru-cache';
import type { ModelMessage, ModelRequest } from '../model-spec.js';

/** The byte-pair encodings gpt-tokenizer ships that OpenAI-compatible chat models use. */
export type TokenEncodingName = 'o200k_base' | 'cl100k_base';

export const TOKEN_ENCODING_NAMES: readonly TokenEncodingName[] = ['o200k_base', 'cl100k_base'];

/**
 * GPT-4o onwards (4o, 4.1, 4.5, 5, the o-series, gpt-oss) use o200k. Matched on the
 * last path segment so `openai/gpt-4o` and `azure/gpt-4.1-mini` resolve too.
 */
const O200K_FAMILIES = /^(gpt-4o|chatgpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|gpt-oss|o[1-9](-|$)|omni-moderation)/;
const CL100K_FAMILIES = /^(gpt-3\.5|gpt-35|gpt-4(-|$)|text-embedding-3|text-embedding-ada-002)/;

/**
 * The encoding to count a model's tokens with. Unknown models (a Llama behind vLLM, an
 * Azure deployment with a custom name) get cl100k: their own tokenizers are not in
 * gpt-tokenizer, and cl100k counts more tokens than o200k for most non-English text, so
 * a context-window check errs towards skipping rather than overflowing.
 */
export function encodingForModel(modelId: string): TokenEncodingName {
  const name = (modelId.split('/').at(-1) ?? modelId).toLowerCase();
  if (O200K_FAMILIES.test(name)) return 'o200k_base';
  if (CL100K_FAMILIES.test(name)) return 'cl100k_base';
  return 'cl100k_base';
}

/** Token counts of one model family, for context-window checks and cost estimates before a call. */
export interface TokenCounter {
  readonly encoding: TokenEncodingName;
  text(text: string): number;
  /** The prompt tokens a chat completion of these messages costs, framing included. */
  messages(messages: readonly ModelMessage[]): number;
  /** Messages plus tool definitions and a response schema, which providers also put in the prompt. */
  request(request: Pick<ModelRequest, 'messages' | 'tools' | 'responseFormat'>): number;
}

/**
 * The framing OpenAI's cookbook documents for its chat models (and the API's own
 * `prompt_tokens` agree with): three tokens around each message, one more for a `name`,
 * three to prime the reply.
 */
export const TOKENS_PER_MESSAGE = 3;
export const TOKENS_PER_NAME = 1;
export const TOKENS_PER_REPLY = 3;
/** Tool calls and tool definitions are wrapped in a format OpenAI does not publish; a few tokens each is the usual estimate. */
const TOKENS_PER_TOOL = 8;

/**
 * User text may contain `<|endoftext|>` and the like; the API reads them as plain text,
 * so they are counted as such instead of throwing as gpt-tokenizer does by default.
 */
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

type CountTokens = (text: string, options: typeof PLAIN_TEXT) => number;

/*
 * Each encoding's rank table costs about 40 MB of memory once loaded, and most
 * deployments use one family, so an encoding is loaded when a model first needs it.
 * Synchronously, because counting sits inside synchronous routing decisions.
 */
const loadEncoding = createRequire(import.meta.url);
const loadedCounters = new Map<TokenEncodingName, (text: string) => number>();

/**
 * The same texts are counted again and again: a request's messages by the rate limits
 * and then by routing, and a conversation's history on every turn. Counts are
 * remembered per encoding, up to this many characters of text in all.
 */
const REMEMBERED_CHARACTERS = 4_000_000;

function counterOf(encoding: TokenEncodingName): (text: string) => number {
  let counter = loadedCounters.get(encoding);
  if (!counter) {
    const count = (loadEncoding(`gpt-tokenizer/encoding/${encoding}`) as { countTokens: CountTokens }).countTokens;
    const remembered = new LRUCache<string, number>({ maxSize: REMEMBERED_CHARACTERS, sizeCalculation: (_tokens, text) => Math.max(1, text.length) });
    counter = (text) => {
      let tokens = remembered.get(text);
      if (tokens === undefined) remembered.set(text, (tokens = count(text, PLAIN_TEXT)));
      return tokens;
    };
    loadedCounters.set(encoding, counter);
  }
  return counter;
}

/** Token ids as the text they stand for; an id the encoding does not have is an error naming its position. */
export function decodeTokens(encoding: TokenEncodingName, ids: readonly number[]): string {
  const { decode } = loadEncoding(`gpt-tokenizer/encoding/${encoding}`) as { decode: (tokens: Iterable<number>) => string };
  try {
    return decode(ids);
  } catch (error) {
    // Only on failure: find the id to name.
    const position = ids.findIndex((id) => {
      try {
        decode([id]);
        return false;
      } catch {
        return true;
      }
    });
    if (position === -1) throw error;
    throw new UnknownTokenError(encoding, position, ids[position]!);
  }
}

export class UnknownTokenError extends Error {
  constructor(
    readonly encoding: TokenEncodingName,
    readonly position: number,
    readonly token: number,
  ) {
    super(`token ${token} is not in ${encoding}`);
    this.name = 'UnknownTokenError';
  }
}

export function tokenCounterFor(modelId: string, encoding: TokenEncodingName = encodingForModel(modelId)): TokenCounter {
  const count = counterOf(encoding);
  return { encoding, ...countingWith((value) => (value.length === 0 ? 0 : count(value))) };
}

/**
 * More prompt tokens than any of these encodings can make of the request, without
 * loading one: every token stands for at least one byte of UTF-8. A prompt far inside a
 * window needs no exact count, and no 40 MB rank table in memory.
 */
export function promptTokensAtMost(request: Pick<ModelRequest, 'messages' | 'tools' | 'responseFormat'>): number {
  return countingWith((value) => Buffer.byteLength(value)).request(request);
}

/** The framing of a chat request around its texts, each counted by `text`. */
function countingWith(text: (value: string) => number): Omit<TokenCounter, 'encoding'> {
  const messages = (list: readonly ModelMessage[]): number => {
    let total = list.length === 0 ? 0 : TOKENS_PER_REPLY;
    for (const message of list) {
      total += TOKENS_PER_MESSAGE + text(message.content);
      if ('name' in message && message.name !== undefined) total += TOKENS_PER_NAME + text(message.name);
      if (message.role === 'assistant') {
        for (const call of message.toolCalls ?? []) total += TOKENS_PER_TOOL + text(call.name) + text(call.arguments);
      }
    }
    return total;
  };
  return {
    text,
    messages,
    request(request) {
      let total = messages(request.messages);
      for (const tool of request.tools ?? []) {
        total += TOKENS_PER_TOOL + text(tool.name) + text(tool.description ?? '') + text(JSON.stringify(tool.parameters));
      }
      if (request.responseFormat?.type === 'json_schema') total += text(JSON.stringify(request.responseFormat.schema));
      return total;
    },
  };
}
