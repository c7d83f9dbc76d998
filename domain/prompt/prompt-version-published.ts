import { z } from 'zod';
import { defineEventType, type EventData } from '../events/event-type.js';

/** Prompt names are the id part of `prompt-<name>` streams, so they follow its rules. */
export const promptNameSchema = z
  .string()
  .max(100)
  .regex(/^[A-Za-z0-9._:~][A-Za-z0-9._:~-]*$/, 'must be letters, digits, ".", "_", ":", "~" or "-"');

export const promptOutputFormatSchema = z.enum(['text', 'json']);

export const promptVersionPublishedSchema = z.object({
  name: promptNameSchema,
  /** 1 for the first published version, then each one more than the last. */
  version: z.number().int().min(1),
  system: z.string().min(1).max(100_000),
  developer: z.string().min(1).max(100_000).optional(),
  outputFormat: promptOutputFormatSchema.optional(),
  /** History older than fits in this many tokens is left out of the prompt. */
  historyTokenBudget: z.number().int().min(0),
  temperature: z.number().min(0).max(2).optional(),
  maxOutputTokens: z.number().int().positive().optional(),
  publishedAt: z.iso.datetime(),
});

export const PromptVersionPublished = defineEventType({
  type: 'PromptVersionPublished',
  version: 1,
  schema: promptVersionPublishedSchema,
});

export type PromptVersionPublishedData = EventData<typeof PromptVersionPublished>;
export type PromptOutputFormat = z.infer<typeof promptOutputFormatSchema>;

export type PromptEvent = { type: 'PromptVersionPublished'; data: PromptVersionPublishedData };

export const promptEventTypes = [PromptVersionPublished] as const;
