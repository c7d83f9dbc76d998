import { z } from 'zod';
import { defineEventType, type EventData } from '../../events/event-type.js';
import { modelMessageSchema } from '../../prompt/model-message.js';
import { modelParametersSchema, modelToolSchema } from './model-shapes.js';

const id = z.string().min(1).max(200);

/** What bounds a turn; decide refuses to go past any of them. */
export const turnLimitsSchema = z.object({
  /** Prompts built, and so model calls made, including repairs. */
  maxModelSteps: z.number().int().min(1),
  /** Tool calls proposed over the whole turn; 0 means the turn may use none. */
  maxToolCalls: z.number().int().min(0),
  /** The cap every model call is sent with. */
  maxOutputTokens: z.number().int().min(1),
});

/** What a client may ask of sampling; the output cap is a limit, not a wish. */
export const turnParametersSchema = modelParametersSchema.omit({ maxOutputTokens: true });

export const turnModeSchema = z.enum(['chat', 'rag']);
export const turnSourceSchema = z.enum(['api', 'openai-compatible']);
export const taskSchema = z.string().regex(/^[a-z][a-z0-9-]{0,49}$/, 'lower-case letters, digits and `-`, at most 50');
export const featureTagSchema = z.string().min(1).max(100).regex(/^[A-Za-z0-9._:/-]+$/, 'letters, digits, `.`, `_`, `:`, `/` or `-`');

export const TurnRequested = defineEventType({
  type: 'TurnRequested',
  version: 1,
  schema: z.object({
    turnId: id,
    conversationId: id,
    tenantId: id,
    userId: id.optional(),
    message: z.string().max(1_000_000),
    mode: turnModeSchema,
    /** Whether the client follows the answer token by token. */
    stream: z.boolean(),
    /** A model alias such as `chat/default`; routing picks one when absent. */
    model: z.string().min(1).max(200).optional(),
    requestedAt: z.iso.datetime(),
    deadline: z.iso.datetime(),
    limits: turnLimitsSchema,
    /** Tools the client executes itself (OpenAI-compatible surface): calls to them end the turn. */
    clientTools: z.array(modelToolSchema).optional(),
    /**
     * The conversation exactly as an OpenAI-compatible client sent it, tool results
     * included; the prompt is built from these rather than from the stored history.
     */
    clientMessages: z.array(modelMessageSchema).optional(),
    source: turnSourceSchema,
    parameters: turnParametersSchema.optional(),
    /** What the caller's product calls the feature making the request: the cost ledger groups by it. */
    feature: featureTagSchema.optional(),
    /** The kind of work (classify, summarize, reason…): routes to its configured alias when no model is named. */
    task: taskSchema.optional(),
    /** The API key that asked: its own budgets apply to the turn's model calls besides the tenant's. */
    keyId: z.string().min(1).max(200).optional(),
    /** The caller sent `Cache-Control: no-cache`: the model is called even when the cache holds the answer. */
    cacheBypass: z.boolean().optional(),
  }),
});

export type TurnRequestedData = EventData<typeof TurnRequested>;
export type TurnLimits = z.infer<typeof turnLimitsSchema>;
export type TurnParameters = z.infer<typeof turnParametersSchema>;
export type TurnMode = z.infer<typeof turnModeSchema>;
export type FeatureTag = z.infer<typeof featureTagSchema>;
