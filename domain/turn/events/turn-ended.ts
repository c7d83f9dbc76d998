import { z } from 'zod';
import { defineEventType, type EventData } from '../../events/event-type.js';
import { modelFinishReasonSchema, modelUsageSchema } from './model-shapes.js';

export const TurnCompleted = defineEventType({
  type: 'TurnCompleted',
  version: 1,
  schema: z.object({
    answer: z.string(),
    finishReason: modelFinishReasonSchema,
    /** Summed over every model call of the turn. */
    usage: modelUsageSchema,
    /** Calls the client executes itself, when the turn ended by proposing them. */
    toolCalls: z
      .array(z.object({ toolCallId: z.string().min(1), name: z.string().min(1), arguments: z.string() }))
      .optional(),
    completedAt: z.iso.datetime(),
  }),
});

export const turnFailureReasonSchema = z.enum([
  'deadline-exceeded',
  'max-model-steps',
  'max-tool-calls',
  'model-call-failed',
  'invalid-output',
  'retrieval-failed',
  'prompt-failed',
  'budget-exceeded',
  'cancelled',
  'internal-error',
]);

export const TurnFailed = defineEventType({
  type: 'TurnFailed',
  version: 1,
  schema: z.object({
    /** Stable, for clients and dashboards to group by; the message is for people. */
    reason: turnFailureReasonSchema,
    message: z.string().max(10_000),
    failedAt: z.iso.datetime(),
  }),
});

export type TurnCompletedData = EventData<typeof TurnCompleted>;
export type TurnFailedData = EventData<typeof TurnFailed>;
export type TurnFailureReason = z.infer<typeof turnFailureReasonSchema>;
