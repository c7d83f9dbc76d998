import { z } from 'zod';
import { defineEventType, type EventData } from '../../events/event-type.js';
import { budgetPeriodSchema, budgetScopeSchema } from '../../budget/budget-definition.js';
import { modelToolCallSchema } from '../../prompt/model-message.js';
import { modelCallErrorKindSchema, modelFinishReasonSchema, modelUsageSchema } from './model-shapes.js';

const step = z.number().int().min(1);
const callId = z.string().min(1).max(200);
const name = z.string().min(1).max(200);
const milliseconds = z.number().min(0);

/**
 * How the gateway routed the call (a copy of its RoutingReport: the domain imports
 * nothing): every candidate with why it ranked or was skipped, the one that answered,
 * and each attempt with its outcome, so a turn's routing can be explained.
 */
export const routingSchema = z.object({
  alias: name,
  strategy: z.string().min(1),
  candidates: z.array(
    z.object({ deployment: name, provider: name, model: name, skipped: z.enum(['context-window', 'breaker-open']).optional(), reason: z.string() }),
  ),
  chosen: name.optional(),
  attempts: z.array(
    z.object({
      deployment: name,
      startedAt: z.number(),
      durationMs: milliseconds,
      outcome: z.string().min(1),
      retryAfterMs: milliseconds.optional(),
      retryDelayMs: milliseconds.optional(),
      retryRefused: z.string().optional(),
    }),
  ),
});

/** A hard budget's refusal of a call before it went out: the budget and what it had left. */
export const budgetRefusalSchema = z.object({
  scope: budgetScopeSchema,
  keyId: z.string().optional(),
  period: budgetPeriodSchema,
  window: z.string().min(1).max(10),
  limitMicros: z.number().int().min(0),
  remainingMicros: z.number().int().min(0),
  requestedMicros: z.number().int().min(0).optional(),
  resetsAt: z.iso.datetime(),
});

/** Written before the call goes out, so a call in flight is visible and a crash leaves a trace. */
export const ModelCallStarted = defineEventType({
  type: 'ModelCallStarted',
  version: 1,
  schema: z.object({
    step,
    callId,
    /** The alias asked for, such as `chat/default`. */
    alias: name,
    /** The configured deployment routing chose, when there are several. */
    deployment: name.optional(),
    provider: name,
    modelId: name,
    /** The process that made the call: it may take its own call up again at once, others wait out its lease. */
    startedBy: name.optional(),
    startedAt: z.iso.datetime(),
  }),
});

/** The whole answer of one call, recorded once; deltas go to the DELTAS stream, not the log. */
export const ModelCallCompleted = defineEventType({
  type: 'ModelCallCompleted',
  version: 1,
  schema: z.object({
    step,
    callId,
    text: z.string(),
    toolCalls: z.array(modelToolCallSchema),
    finishReason: modelFinishReasonSchema,
    usage: modelUsageSchema,
    latencyMs: milliseconds,
    timeToFirstTokenMs: milliseconds.optional(),
    /** Provider and model that answered, after any fallback. */
    provider: name,
    modelId: name,
    /** The model as the provider reports it (a dated snapshot of `modelId`, say). */
    responseModelId: name,
    /** Price from the configured table, in millionths of the billing currency. */
    costMicros: z.number().int().min(0).optional(),
    /** Served from the exact-match cache: no tokens were spent on this call. */
    cached: z.boolean().optional(),
    cachedFromCallId: callId.optional(),
    routing: routingSchema.optional(),
  }),
});

/** The gateway gave up on the call, after its own retries and fallbacks. */
export const ModelCallFailed = defineEventType({
  type: 'ModelCallFailed',
  version: 1,
  schema: z.object({
    step,
    callId,
    errorKind: modelCallErrorKindSchema,
    message: z.string().max(10_000),
    retryable: z.boolean(),
    /** Output received before the failure (a stream cut mid-answer). */
    partialText: z.string().optional(),
    /** Tool calls the cut stream had begun, their arguments as far as they came (often not yet valid JSON). */
    partialToolCalls: z.array(modelToolCallSchema).optional(),
    /**
     * Set when output was streamed before the failure, which the provider bills though a
     * cut stream reports no usage: the prompt and the output received, counted with the
     * deployment's tokenizer, and their price; with the provider and model that sent it.
     */
    usage: modelUsageSchema.optional(),
    costMicros: z.number().int().min(0).optional(),
    provider: name.optional(),
    modelId: name.optional(),
    attempts: z.number().int().min(1),
    routing: routingSchema.optional(),
    /** Set when a hard budget refused the call before it went out: what it had left. */
    budget: budgetRefusalSchema.optional(),
  }),
});

export type ModelCallStartedData = EventData<typeof ModelCallStarted>;
export type ModelCallCompletedData = EventData<typeof ModelCallCompleted>;
export type ModelCallFailedData = EventData<typeof ModelCallFailed>;
