import { z } from 'zod';
import { defineEventType, type EventData } from '../../events/event-type.js';

export const contextChunkSchema = z.object({
  docId: z.string().min(1).max(200),
  /** `doc_N`, by rank: the prompt shows it and answers cite it. */
  label: z.string().regex(/^doc_[1-9][0-9]*$/, 'must be doc_N'),
  text: z.string(),
  score: z.number(),
  /** Where the document came from (file name, URL), for citations. */
  source: z.string().max(2_000).optional(),
});

/** What retrieval found for the turn; an empty list is a result too, and the prompt says so. */
export const ContextRetrieved = defineEventType({
  type: 'ContextRetrieved',
  version: 1,
  schema: z.object({
    /** The query as sent to search, after any rewrite. */
    query: z.string(),
    chunks: z.array(contextChunkSchema),
  }),
});

export type ContextRetrievedData = EventData<typeof ContextRetrieved>;
export type ContextChunk = z.infer<typeof contextChunkSchema>;
