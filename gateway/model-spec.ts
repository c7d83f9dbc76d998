import type { TokenEncodingName } from './tokens/count-tokens.js';
/**
 * The model port: a small, versioned spec every provider implements. Retries,
 * fallbacks, breakers, caching, budgets and telemetry wrap it as middleware; they are
 * never branches inside a provider.
 */

export type ModelRole = 'system' | 'developer' | 'user' | 'assistant' | 'tool';

export interface ModelToolCall {
  /** Provider-assigned id; tool results refer to it. */
  id: string;
  name: string;
  /** JSON text exactly as the model produced it (may fail to parse: validation's job). */
  arguments: string;
}

export type ModelMessage =
  | { role: 'system' | 'developer' | 'user'; content: string; name?: string }
  | { role: 'assistant'; content: string; toolCalls?: ModelToolCall[] }
  | { role: 'tool'; content: string; toolCallId: string };

export interface ModelTool {
  name: string;
  description?: string;
  /** JSON Schema of the arguments object. */
  parameters: Record<string, unknown>;
  strict?: boolean;
}

export type ModelToolChoice = 'auto' | 'none' | 'required' | { name: string };

export type ReasoningEffort = 'none' | 'minimal' | 'low' | 'medium' | 'high' | 'xhigh' | 'max';

export type ModelResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name: string; schema: Record<string, unknown>; strict?: boolean };

export interface ModelRequest {
  messages: readonly ModelMessage[];
  tools?: readonly ModelTool[];
  toolChoice?: ModelToolChoice;
  /** false: at most one tool call per answer. Sent only with tools, which servers require. */
  parallelToolCalls?: boolean;
  responseFormat?: ModelResponseFormat;
  temperature?: number;
  topP?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  /** Token id (as a decimal string) → bias from -100 to 100. */
  logitBias?: Readonly<Record<string, number>>;
  reasoningEffort?: ReasoningEffort;
  maxOutputTokens?: number;
  seed?: number;
  stop?: readonly string[];
  /** End-user id passed to providers for abuse monitoring. */
  user?: string;
  abortSignal?: AbortSignal;
}

export type ModelFinishReason = 'stop' | 'length' | 'tool-calls' | 'content-filter' | 'error' | 'other';

export interface ModelUsage {
  inputTokens: number;
  outputTokens: number;
  /** Input tokens served from the provider's prompt cache (priced differently). */
  cachedInputTokens: number;
}

export interface ModelResult {
  text: string;
  toolCalls: ModelToolCall[];
  finishReason: ModelFinishReason;
  usage: ModelUsage;
  /** The model that actually answered, as the provider reports it. */
  responseModelId: string;
  /** The provider's id of the response, for support tickets and tracing. */
  responseId?: string;
}

/** Parts of a streamed answer; stream part names are noun-first kebab-case. */
export type ModelStreamPart =
  | { type: 'text-delta'; text: string }
  | { type: 'tool-call-start'; index: number; id: string; name: string }
  | { type: 'tool-call-delta'; index: number; argumentsDelta: string }
  | { type: 'finish'; result: ModelResult };

/**
 * What decides a model's output where `provider` and `modelId` do not say it all (where
 * it is served; for a gateway alias, every deployment it may route to). Caches key by
 * it, so a model moved or replaced behind the same name is not answered from the old one.
 */
export interface CacheScoped {
  readonly cacheScope?: string;
}

export interface LanguageModel extends CacheScoped {
  readonly specificationVersion: 'v1';
  readonly provider: string;
  readonly modelId: string;
  /** One complete answer. */
  generate(request: ModelRequest): Promise<ModelResult>;
  /** The answer as it is produced; always ends with exactly one `finish` part, or throws. */
  stream(request: ModelRequest): AsyncIterable<ModelStreamPart>;
}

export interface EmbeddingResult {
  embeddings: number[][];
  usage: { inputTokens: number };
}

export interface EmbeddingModel extends CacheScoped {
  readonly specificationVersion: 'v1';
  readonly provider: string;
  readonly modelId: string;
  readonly dimensions: number;
  /** The encoding of the token ids a client may send instead of text (OpenAI's token-array input); its model family's by default. */
  readonly tokenEncoding?: TokenEncodingName;
  /** Embeds each value; the result keeps the input order. */
  embed(values: readonly string[], options?: { abortSignal?: AbortSignal }): Promise<EmbeddingResult>;
}
