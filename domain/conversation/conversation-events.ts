import { z } from 'zod';
import { defineEventType, type EventData } from '../events/event-type.js';
import { promptNameSchema } from '../prompt/prompt-version-published.js';

const id = z.string().min(1).max(200);
// Checked, not trimmed: a schema that rewrote data on write would store what decide did not decide.
const title = z.string().max(500).regex(/\S/, 'must not be blank');

/** Free-form labels a client attaches (channel, locale…); bounded so they stay labels. */
export const conversationMetadataSchema = z
  .record(z.string().min(1).max(100), z.string().max(1_000))
  .refine((metadata) => Object.keys(metadata).length <= 50, 'at most 50 entries');

export const ConversationStarted = defineEventType({
  type: 'ConversationStarted',
  version: 1,
  schema: z.object({
    conversationId: id,
    tenantId: id,
    userId: id.optional(),
    title: title.optional(),
    /** The prompt its turns render; the built-in default when absent. */
    promptName: promptNameSchema.optional(),
    metadata: conversationMetadataSchema.optional(),
    startedAt: z.iso.datetime(),
  }),
});

export const ConversationRenamed = defineEventType({
  type: 'ConversationRenamed',
  version: 1,
  schema: z.object({ conversationId: id, title, renamedAt: z.iso.datetime() }),
});

export const ConversationArchived = defineEventType({
  type: 'ConversationArchived',
  version: 1,
  schema: z.object({ conversationId: id, reason: z.string().max(1_000).optional(), archivedAt: z.iso.datetime() }),
});

export type ConversationStartedData = EventData<typeof ConversationStarted>;
export type ConversationRenamedData = EventData<typeof ConversationRenamed>;
export type ConversationArchivedData = EventData<typeof ConversationArchived>;

export type ConversationEvent =
  | { type: 'ConversationStarted'; data: ConversationStartedData }
  | { type: 'ConversationRenamed'; data: ConversationRenamedData }
  | { type: 'ConversationArchived'; data: ConversationArchivedData };

export const conversationEventTypes = [ConversationStarted, ConversationRenamed, ConversationArchived] as const;
