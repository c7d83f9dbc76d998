import { z } from 'zod';

/*
 * The gateway's model spec as zod schemas, for the events that record what was asked
 * of a model and what it answered. Copied, not imported: the domain imports nothing
 * outside itself. Messages and tool calls live in ../../prompt/model-message.ts.
 */

export const modelToolSchema = z.object({
  name: z.string().min(1).max(200),
  description: z.string().optional(),
  /** JSON Schema of the arguments object. */
  parameters: z.record(z.string(), z.unknown()),
  strict: z.boolean().optional(),
});

export const modelToolChoiceSchema = z.union([z.enum(['auto', 'none', 'required']), z.object({ name: z.string().min(1) })]);

export const modelResponseFormatSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }),
  z.object({ type: z.literal('json_object') }),
  z.object({
    type: z.literal('json_schema'),
    name: z.string().min(1),
    schema: z.record(z.string(), z.unknown()),
    strict: z.boolean().optional(),
  }),
]);

/** How hard a reasoning model thinks before it answers, as OpenAI-compatible servers name it. */
export const reasoningEfforts = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max'] as const;

/** The sampling and output parameters of one call, exactly as sent. */
export const modelParametersSchema = z.object({
  temperature: z.number().min(0).max(2).optional(),
  topP: z.number().gt(0).max(1).optional(),
  presencePenalty: z.number().min(-2).max(2).optional(),
  frequencyPenalty: z.number().min(-2).max(2).optional(),
  /** Token id (as a decimal string) → bias from -100 to 100. */
  logitBias: z.record(z.string().regex(/^\d{1,9}$/, 'a token id'), z.number().min(-100).max(100)).optional(),
  reasoningEffort: z.enum(reasoningEfforts).optional(),
  maxOutputTokens: z.number().int().positive().optional(),
  seed: z.number().int().optional(),
  stop: z.array(z.string().min(1)).optional(),
  toolChoice: modelToolChoiceSchema.optional(),
  /** false: at most one tool call per answer (sent only with tools). */
  parallelToolCalls: z.boolean().optional(),
  responseFormat: modelResponseFormatSchema.optional(),
});

export const modelFinishReasonSchema = z.enum(['stop', 'length', 'tool-calls', 'content-filter', 'error', 'other']);

const tokens = z.number().int().min(0);

export const modelUsageSchema = z.object({
  inputTokens: tokens,
  outputTokens: tokens,
  /** Input tokens served from the provider's prompt cache (priced differently). */
  cachedInputTokens: tokens,
});

export const modelCallErrorKindSchema = z.enum([
  'rate-limited',
  'server',
  'timeout',
  'disconnected',
  'bad-request',
  'authentication',
  'context-overflow',
  'content-filter',
  'aborted',
  'budget-exceeded',
  'other',
]);

export type ModelTool = z.infer<typeof modelToolSchema>;
export type ModelToolChoice = z.infer<typeof modelToolChoiceSchema>;
export type ModelResponseFormat = z.infer<typeof modelResponseFormatSchema>;
export type ModelParameters = z.infer<typeof modelParametersSchema>;
export type ModelFinishReason = z.infer<typeof modelFinishReasonSchema>;
export type ModelUsage = z.infer<typeof modelUsageSchema>;
export type ModelCallErrorKind = z.infer<typeof modelCallErrorKindSchema>;
