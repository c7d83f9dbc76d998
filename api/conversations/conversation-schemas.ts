import { z } from 'zod';

export const startConversationBody = z
  .object({
    title: z.string().trim().min(1).max(500).optional(),
    promptName: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,99}$/, 'lower-case name: letters, digits, . _ -').optional(),
    userId: z.string().min(1).max(200).optional().describe('Your end user; recorded on every event of the conversation'),
    metadata: z.record(z.string().min(1).max(100), z.string().max(1_000)).optional(),
  })
  .strict();

export const conversationIdParams = z.object({ id: z.uuid() });

const usage = z.object({ inputTokens: z.number(), outputTokens: z.number(), costMicros: z.number() });

export const conversationView = z.object({
  id: z.string(),
  title: z.string().nullable(),
  status: z.enum(['active', 'archived']),
  userId: z.string().nullable(),
  turnCount: z.number(),
  usage,
  startedAt: z.string(),
  updatedAt: z.string(),
  messages: z.array(
    z.object({
      turnId: z.string(),
      role: z.enum(['user', 'assistant']),
      content: z.string(),
      status: z.enum(['pending', 'completed', 'failed']),
      createdAt: z.string(),
    }),
  ),
  turns: z.array(z.object({ id: z.string(), status: z.string(), usage, requestedAt: z.string(), finishedAt: z.string().nullable() })),
});

export type ConversationView = z.infer<typeof conversationView>;
