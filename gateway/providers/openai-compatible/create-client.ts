import OpenAI from 'openai';
import { Agent } from 'undici';
import { createUndiciFetch } from './undici-fetch.js';

export interface OpenAiCompatibleConnection {
  /** The API root, e.g. `https://api.openai.com/v1` or `http://localhost:11434/v1`. */
  baseUrl: string;
  /** Local servers accept any value. */
  apiKey: string;
  /** The name telemetry, prices and errors use; defaults to `openai-compatible`. */
  provider?: string;
  /** Longest silence from the upstream (before the response, between stream chunks); defaults to 120 s. */
  timeoutMs?: number;
  /** Sent with every request (Azure's `api-key`, a gateway's routing header, ...). */
  headers?: Record<string, string>;
}

export const DEFAULT_PROVIDER = 'openai-compatible';
export const DEFAULT_TIMEOUT_MS = 120_000;

/**
 * One connection pool per origin for the whole process, as the platform's `fetch` keeps.
 * undici's own five-minute header and body timeouts are off: the deployment's timeouts
 * (first token, between chunks, total; `timeoutMs` otherwise) decide, longer ones included.
 */
const upstreamFetch = createUndiciFetch(new Agent({ headersTimeout: 0, bodyTimeout: 0 }));

/**
 * The real `openai` client with its retries off: the gateway's middleware counts
 * attempts, backs off and falls back, and must see every failure. Organization and
 * project are pinned to null so the SDK does not pick them up from the environment.
 */
export function createClient(connection: OpenAiCompatibleConnection): OpenAI {
  return new OpenAI({
    baseURL: connection.baseUrl,
    apiKey: connection.apiKey,
    organization: null,
    project: null,
    maxRetries: 0,
    fetch: upstreamFetch,
    timeout: connection.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    ...(connection.headers && { defaultHeaders: connection.headers }),
  });
}
