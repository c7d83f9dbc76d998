import { z } from 'zod';
import { defineEventType, type EventData } from '../../events/event-type.js';

const toolCallId = z.string().min(1).max(200);
const actor = z.string().min(1).max(200);
const reason = z.string().min(1).max(10_000);

export const toolExecutorSchema = z.enum(['server', 'client']);

/**
 * One tool call the model asked for. `toolCallId` is Tessera's own, unique over all
 * turns, so a side-effecting tool can take it as its idempotency key; the provider's id
 * is kept to match the call to the model's answer.
 */
export const ToolCallProposed = defineEventType({
  type: 'ToolCallProposed',
  version: 1,
  schema: z.object({
    step: z.number().int().min(1),
    toolCallId,
    providerToolCallId: z.string().min(1).max(200),
    name: z.string().min(1).max(200),
    /** JSON text exactly as the model produced it. */
    arguments: z.string(),
    executor: toolExecutorSchema,
  }),
});

/** A durable wait: nothing runs until ToolCallApproved, and the deadline ends it in ToolCallRejected. */
export const ToolCallApprovalRequested = defineEventType({
  type: 'ToolCallApprovalRequested',
  version: 1,
  schema: z.object({ toolCallId, reason, deadline: z.iso.datetime() }),
});

export const ToolCallApproved = defineEventType({
  type: 'ToolCallApproved',
  version: 1,
  schema: z.object({ toolCallId, approvedBy: actor }),
});

/** Settles the call without running it; the model is told why at the next step. */
export const ToolCallRejected = defineEventType({
  type: 'ToolCallRejected',
  version: 1,
  schema: z.object({ toolCallId, reason, rejectedBy: actor.optional() }),
});

export const ToolCallExecuted = defineEventType({
  type: 'ToolCallExecuted',
  version: 1,
  schema: z.object({ toolCallId, result: z.string(), durationMs: z.number().min(0) }),
});

export const ToolCallFailed = defineEventType({
  type: 'ToolCallFailed',
  version: 1,
  schema: z.object({ toolCallId, error: z.string().max(10_000) }),
});

export type ToolExecutor = z.infer<typeof toolExecutorSchema>;
export type ToolCallProposedData = EventData<typeof ToolCallProposed>;
export type ToolCallApprovalRequestedData = EventData<typeof ToolCallApprovalRequested>;
export type ToolCallApprovedData = EventData<typeof ToolCallApproved>;
export type ToolCallRejectedData = EventData<typeof ToolCallRejected>;
export type ToolCallExecutedData = EventData<typeof ToolCallExecuted>;
export type ToolCallFailedData = EventData<typeof ToolCallFailed>;
