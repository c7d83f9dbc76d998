import { z } from 'zod';
import { defineEventType, type EventData } from '../../events/event-type.js';

const step = z.number().int().min(1);
const problems = z.array(z.string().min(1).max(10_000));

/** The verdict on a step's answer: format, schema, safety. A valid answer may carry warnings. */
export const OutputValidated = defineEventType({
  type: 'OutputValidated',
  version: 1,
  schema: z.object({ step, valid: z.boolean(), problems }),
});

/** The next step asks the model to fix these problems in its answer. */
export const OutputRepairRequested = defineEventType({
  type: 'OutputRepairRequested',
  version: 1,
  schema: z.object({ step, problems: problems.min(1) }),
});

export type OutputValidatedData = EventData<typeof OutputValidated>;
export type OutputRepairRequestedData = EventData<typeof OutputRepairRequested>;
