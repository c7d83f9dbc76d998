import { z } from 'zod';
import { defineEventType, type EventData } from '../events/event-type.js';
import { budgetRefusalSchema, routingSchema } from '../turn/events/model-call-events.js';
import { modelCallErrorKindSchema } from '../turn/events/model-shapes.js';

const name = z.string().min(1).max(200);
const count = z.number().int().min(0);

/**
 * Who asked and what was sent. The texts themselves are not kept (a batch may be larger
 * than any event should be): their count and a SHA-256 of them as a JSON array of
 * strings, against which anyone holding the texts can prove what was embedded.
 */
const embeddingRequestShape = {
  callId: name,
  /** The alias asked for, such as `embed/default`. */
  alias: name,
  /** The API key that made the call, whose own budgets apply too. */
  keyId: name.optional(),
  /** The feature tag the cost ledger groups by (`x-tessera-feature`). */
  feature: name.optional(),
  /** Where the call came from, such as `openai-compatible`. */
  source: name,
  inputs: count,
  inputsDigest: z.string().regex(/^[0-9a-f]{64}$/, 'a hex SHA-256'),
  /** Inputs answered from the cache, never sent: the call's tokens and cost are the other inputs'. */
  cachedInputs: count.optional(),
};

/** Every outcome repeats the request, so the cost ledger needs no other event. */
const embeddingCallShape = {
  ...embeddingRequestShape,
  latencyMs: z.number().min(0),
  routing: routingSchema.optional(),
};

/** Written before the call goes out (after its budget hold), so a call in flight is visible and a crash leaves a trace. */
export const EmbeddingCallStarted = defineEventType({
  type: 'EmbeddingCallStarted',
  version: 1,
  schema: z.object({ ...embeddingRequestShape, startedAt: z.iso.datetime() }),
});

/** One embeddings call's answer, on `embedding-<callId>` after its EmbeddingCallStarted. */
export const EmbeddingCallCompleted = defineEventType({
  type: 'EmbeddingCallCompleted',
  version: 1,
  schema: z.object({
    ...embeddingCallShape,
    dimensions: z.number().int().positive(),
    usage: z.object({ inputTokens: count }),
    /** Provider and model that answered, after any fallback. */
    provider: name,
    modelId: name,
    /** Price from the configured table, in millionths of the billing currency. */
    costMicros: count.optional(),
    /** The calls that paid for the vectors served from the cache. */
    cachedFromCallIds: z.array(name).max(2_048).optional(),
  }),
});

/** The call failed after the gateway's retries and fallbacks, or a hard budget refused it before it went out (then it is the stream's only event). */
export const EmbeddingCallFailed = defineEventType({
  type: 'EmbeddingCallFailed',
  version: 1,
  schema: z.object({
    ...embeddingCallShape,
    errorKind: modelCallErrorKindSchema,
    message: z.string().max(10_000),
    retryable: z.boolean(),
    budget: budgetRefusalSchema.optional(),
  }),
});

export type EmbeddingCallStartedData = EventData<typeof EmbeddingCallStarted>;
export type EmbeddingCallCompletedData = EventData<typeof EmbeddingCallCompleted>;
export type EmbeddingCallFailedData = EventData<typeof EmbeddingCallFailed>;

export const embeddingEventTypes = [EmbeddingCallStarted, EmbeddingCallCompleted, EmbeddingCallFailed] as const;
