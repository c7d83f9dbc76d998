import { z } from 'zod';

/** Message content as clients send it: a string, or an array of parts (only text is read). */
const contentSchema = z
  .union([z.string(), z.array(z.looseObject({ type: z.string(), text: z.string().optional() }))])
  .nullish();

/** The part of a chat completion request the fake reads; everything else is recorded untouched. */
export const chatRequestSchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(z.looseObject({ role: z.string(), content: contentSchema })).min(1),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
});

export type ChatRequest = z.infer<typeof chatRequestSchema>;

export const embeddingRequestSchema = z.looseObject({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(z.string()).min(1)]),
  dimensions: z.number().int().positive().max(4096).nullish(),
  encoding_format: z.enum(['float', 'base64']).nullish(),
});

export type EmbeddingRequest = z.infer<typeof embeddingRequestSchema>;

export function contentText(content: z.infer<typeof contentSchema>): string {
  if (content === null || content === undefined) return '';
  if (typeof content === 'string') return content;
  return content.map((part) => part.text ?? '').join('');
}

export function lastUserText(request: ChatRequest): string {
  const last = request.messages.findLast((message) => message.role === 'user');
  return last ? contentText(last.content) : '';
}

export function promptTexts(request: ChatRequest): string[] {
  return request.messages.map((message) => contentText(message.content));
}
