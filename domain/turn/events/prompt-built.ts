import { z } from 'zod';
import { defineEventType, type EventData } from '../../events/event-type.js';
import { modelMessageSchema } from '../../prompt/model-message.js';
import { promptNameSchema } from '../../prompt/prompt-version-published.js';
import { modelParametersSchema, modelToolSchema } from './model-shapes.js';

/**
 * Exactly what one model step sends: messages, tools and parameters as they go over
 * the wire, so the step can be replayed against another model or prompt later.
 */
export const PromptBuilt = defineEventType({
  type: 'PromptBuilt',
  version: 1,
  schema: z.object({
    /** 1 for the first model step of the turn, one more for each step after it. */
    step: z.number().int().min(1),
    promptName: promptNameSchema,
    /** 0 is the built-in template of that name. */
    promptVersion: z.number().int().min(0),
    messages: z.array(modelMessageSchema).min(1),
    tools: z.array(modelToolSchema),
    parameters: modelParametersSchema,
    estimatedInputTokens: z.number().int().min(0),
  }),
});

export type PromptBuiltData = EventData<typeof PromptBuilt>;
