import { featureTagSchema, taskSchema } from '../../domain/turn/events/turn-requested.js';
import { z } from 'zod';

export const requestTurnBody = z
  .object({
    message: z.string().min(1).max(100_000).refine((message) => message.trim() !== '', 'the message is empty').describe('The user message'),
    mode: z.enum(['chat', 'rag']).default('chat').describe('rag retrieves context before the prompt is built'),
    stream: z.boolean().default(false).describe('true: the response is an SSE stream of the turn; false: 202 with the turn id'),
    model: z.string().min(1).max(200).optional().describe('A model alias such as chat/default'),
    task: taskSchema.optional().describe('The kind of work (classify, summarize, reason…): without `model`, the gateway routes it to the alias configured for the task'),
    userId: z.string().min(1).max(200).optional(),
    maxOutputTokens: z.number().int().min(1).max(32_768).optional(),
    temperature: z.number().min(0).max(2).optional(),
    seed: z.number().int().optional(),
    feature: featureTagSchema.optional().describe('Feature tag: usage and cost are reported per feature (GET /v1/usage)'),
  })
  .strict();

export const turnIdParams = z.object({ id: z.uuid() });

export const turnAccepted = z.object({ id: z.string(), conversationId: z.string(), status: z.literal('requested'), streamUrl: z.string() });

export const turnView = z.object({
  id: z.string(),
  conversationId: z.string(),
  status: z.string(),
  answer: z.string().nullable(),
  failure: z.object({ reason: z.string(), message: z.string() }).nullable(),
  usage: z.object({ inputTokens: z.number(), outputTokens: z.number(), cachedInputTokens: z.number() }),
  timeline: z.array(z.object({ revision: z.number(), type: z.string(), occurredAt: z.string(), data: z.unknown() })),
});

export const feedbackBody = z
  .object({
    rating: z.enum(['up', 'down']).optional().describe('Thumbs; maps to score ±1'),
    score: z.number().min(-1).max(1).optional().describe('A score in [-1, 1]; wins over rating'),
    comment: z.string().max(10_000).optional(),
    correction: z.string().max(100_000).optional().describe('What the answer should have been; eval datasets use it'),
  })
  .strict()
  .refine((body) => body.rating !== undefined || body.score !== undefined, { message: 'give a rating or a score', path: ['rating'] });

export const streamHeaders = z.object({
  'last-event-id': z.string().max(40).optional().describe('Resume after this SSE event id'),
});
