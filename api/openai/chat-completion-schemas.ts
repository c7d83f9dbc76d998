import { reasoningEfforts } from '../../domain/turn/events/model-shapes.js';
import { featureTagSchema, taskSchema } from '../../domain/turn/events/turn-requested.js';
import { z } from 'zod';

/** Text parts are accepted; other modalities are refused by name rather than dropped. */
const contentPart = z.object({ type: z.literal('text'), text: z.string() });
const content = z.union([z.string(), z.array(contentPart)], {
  error: 'a string or text parts ({ "type": "text", "text": … }); image, audio and file parts are not supported',
});

const toolCall = z.object({
  id: z.string().min(1),
  type: z.literal('function'),
  function: z.object({ name: z.string().min(1), arguments: z.string() }),
});

export const chatMessage = z.discriminatedUnion('role', [
  z.object({ role: z.literal('system'), content, name: z.string().optional() }),
  z.object({ role: z.literal('developer'), content, name: z.string().optional() }),
  z.object({ role: z.literal('user'), content, name: z.string().optional() }),
  z.object({ role: z.literal('assistant'), content: content.nullable().optional(), tool_calls: z.array(toolCall).optional(), name: z.string().optional() }),
  z.object({ role: z.literal('tool'), content, tool_call_id: z.string().min(1) }),
]);

const functionTool = z.object({
  type: z.literal('function'),
  function: z.object({
    name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and -, at most 64'),
    description: z.string().max(10_000).optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().nullable().optional(),
  }),
});

const toolChoice = z.union([
  z.enum(['auto', 'none', 'required']),
  z.object({ type: z.literal('function'), function: z.object({ name: z.string().min(1) }) }),
]);

const responseFormat = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }),
  z.object({ type: z.literal('json_object') }),
  z.object({
    type: z.literal('json_schema'),
    json_schema: z.object({ name: z.string().min(1), schema: z.record(z.string(), z.unknown()).optional(), strict: z.boolean().nullable().optional() }),
  }),
]);

/**
 * A field Tessera cannot honour: refused by name rather than dropped, so a client never
 * believes it got what it asked for. `accepted` is what asking for nothing looks like.
 */
const refused = (message: string, accepted: (value: unknown) => boolean = () => false) =>
  z
    .unknown()
    .refine((value) => value === undefined || value === null || accepted(value), message)
    .optional();

export const chatCompletionBody = z.object({
  model: z.string().min(1).max(200),
  messages: z.array(chatMessage).min(1).max(10_000),
  stream: z.boolean().nullable().optional(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullable().optional(),
  tools: z.array(functionTool).max(128).optional(),
  tool_choice: toolChoice.optional(),
  response_format: responseFormat.optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().gt(0).max(1).nullable().optional(),
  presence_penalty: z.number().min(-2).max(2).nullable().optional(),
  frequency_penalty: z.number().min(-2).max(2).nullable().optional(),
  logit_bias: z.record(z.string().regex(/^\d{1,9}$/, 'keys are token ids'), z.number().min(-100).max(100)).nullable().optional(),
  reasoning_effort: z.enum(reasoningEfforts).nullable().optional(),
  max_tokens: z.number().int().min(1).nullable().optional(),
  max_completion_tokens: z.number().int().min(1).nullable().optional(),
  seed: z.number().int().nullable().optional(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).nullable().optional(),
  user: z.string().max(200).optional(),
  n: z.literal(1, 'only n = 1 is supported').nullable().optional(),
  parallel_tool_calls: z.boolean().optional(),
  logprobs: refused('log probabilities are not returned', (value) => value === false),
  top_logprobs: refused('log probabilities are not returned', (value) => value === 0),
  modalities: refused('only text output is supported', (value) => Array.isArray(value) && value.length === 1 && value[0] === 'text'),
  audio: refused('audio output is not supported'),
  prediction: refused('predicted outputs are not supported'),
  functions: refused('the legacy `functions` field is not supported; declare them as `tools`'),
  function_call: refused('the legacy `function_call` field is not supported; use `tool_choice`'),
});

export type ChatCompletionBody = z.infer<typeof chatCompletionBody>;

export const chatCompletionHeaders = z.object({
  'x-tessera-conversation-id': z.uuid().optional().describe('Record the call in this conversation instead of a new one'),
  'x-tessera-task': taskSchema.optional().describe('The kind of work (classify, summarize, reason…): routed to the alias configured for the task instead of `model`'),
  'x-tessera-feature': featureTagSchema.optional().describe('Feature tag: usage and cost are reported per feature (GET /v1/usage)'),
});

export const embeddingsHeaders = chatCompletionHeaders.pick({ 'x-tessera-feature': true });

const tokenId = z.number().int().min(0);

export const embeddingsBody = z.object({
  model: z.string().min(1).max(200),
  // Text, or token ids of the model's encoding (LangChain sends these): decoded to text before the call.
  input: z.union([
    // An empty text has nothing to embed: OpenAI refuses it too.
    z.string().min(1),
    z.array(z.string().min(1)).min(1).max(2_048),
    z.array(tokenId).min(1),
    z.array(z.array(tokenId).min(1)).min(1).max(2_048),
  ]),
  encoding_format: z.enum(['float', 'base64']).optional(),
  dimensions: z.number().int().min(1).optional(),
  user: z.string().max(200).optional(),
});

export type EmbeddingsBody = z.infer<typeof embeddingsBody>;
