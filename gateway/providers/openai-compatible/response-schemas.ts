import { z } from 'zod';

/**
 * What the provider reads from OpenAI-compatible responses, and nothing more. The SDK's
 * types describe OpenAI; vLLM, Ollama and llama.cpp leave fields out or send `null`, so
 * nearly everything is `nullish` and unknown fields are ignored.
 */
export const usageSchema = z
  .object({
    prompt_tokens: z.number().nullish(),
    completion_tokens: z.number().nullish(),
    prompt_tokens_details: z.object({ cached_tokens: z.number().nullish() }).nullish(),
  })
  .nullish();

export type UsagePayload = z.infer<typeof usageSchema>;

export const completionSchema = z.object({
  id: z.string().nullish(),
  model: z.string().nullish(),
  choices: z.array(
    z.object({
      message: z.object({
        content: z.string().nullish(),
        tool_calls: z
          .array(z.object({ id: z.string(), function: z.object({ name: z.string(), arguments: z.string().nullish() }) }))
          .nullish(),
      }),
      finish_reason: z.string().nullish(),
    }),
  ),
  usage: usageSchema,
});

export const toolCallDeltaSchema = z.object({
  /** Some servers leave it out when there is only one call; the position then stands in. */
  index: z.number().int().nonnegative().nullish(),
  id: z.string().nullish(),
  function: z.object({ name: z.string().nullish(), arguments: z.string().nullish() }).nullish(),
});

export type ToolCallDelta = z.infer<typeof toolCallDeltaSchema>;

export const chunkSchema = z.object({
  id: z.string().nullish(),
  model: z.string().nullish(),
  choices: z
    .array(
      z.object({
        delta: z.object({ content: z.string().nullish(), tool_calls: z.array(toolCallDeltaSchema).nullish() }).nullish(),
        finish_reason: z.string().nullish(),
      }),
    )
    .nullish(),
  usage: usageSchema,
});

export type CompletionChunk = z.infer<typeof chunkSchema>;

export const embeddingsSchema = z.object({
  data: z.array(z.object({ index: z.number().int().nonnegative(), embedding: z.array(z.number()) })),
  usage: z.object({ prompt_tokens: z.number().nullish() }).nullish(),
});
