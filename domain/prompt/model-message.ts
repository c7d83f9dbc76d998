import { z } from 'zod';

/*
 * The message shapes of the gateway's model spec, copied as zod schemas: events record
 * exactly what was sent to a model, and the domain may not import the gateway. A test
 * in the gateway can hold the two in step; the domain stays the one with no imports.
 */

export const modelToolCallSchema = z.object({
  /** Provider-assigned id; tool results refer to it. */
  id: z.string().min(1),
  name: z.string().min(1),
  /** JSON text exactly as the model produced it (may fail to parse: validation's job). */
  arguments: z.string(),
});

export const modelMessageSchema = z.discriminatedUnion('role', [
  z.object({ role: z.enum(['system', 'developer', 'user']), content: z.string(), name: z.string().min(1).optional() }),
  z.object({ role: z.literal('assistant'), content: z.string(), toolCalls: z.array(modelToolCallSchema).optional() }),
  z.object({ role: z.literal('tool'), content: z.string(), toolCallId: z.string().min(1) }),
]);

export type ModelToolCall = z.infer<typeof modelToolCallSchema>;
export type ModelMessage = z.infer<typeof modelMessageSchema>;
export type ModelRole = ModelMessage['role'];
