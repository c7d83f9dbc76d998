import { z } from 'zod';
import { defineEventType } from '../../events/event-type.js';

/** v1 stored thumbs only; kept to read old events. */
const feedbackRecordedV1 = z.object({
  turnId: z.string(),
  rating: z.enum(['up', 'down']),
  comment: z.string().optional(),
});

/**
 * v2: a score in [-1, 1] (thumbs map to ±1, scales to fractions), an optional
 * correction that eval datasets use as the expected answer, and who gave it.
 */
export const feedbackRecordedSchema = z.object({
  turnId: z.string().min(1),
  score: z.number().min(-1).max(1),
  comment: z.string().max(10_000).optional(),
  correction: z.string().max(100_000).optional(),
  source: z.enum(['user', 'reviewer', 'grader']),
});

export const FeedbackRecorded = defineEventType({
  type: 'FeedbackRecorded',
  version: 2,
  schema: feedbackRecordedSchema,
  upcasters: {
    1: (data) => {
      const v1 = feedbackRecordedV1.parse(data);
      return { turnId: v1.turnId, score: v1.rating === 'up' ? 1 : -1, comment: v1.comment, source: 'user' };
    },
  },
});
