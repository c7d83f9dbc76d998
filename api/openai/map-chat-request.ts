import type { ModelMessage } from '../../domain/prompt/model-message.js';
import type { TurnParameters } from '../../domain/turn/events/turn-requested.js';
import type { ChatCompletionBody } from './chat-completion-schemas.js';

type ClientTool = { name: string; description?: string; parameters: Record<string, unknown>; strict?: boolean };

const text = (content: string | { text: string }[] | null | undefined): string =>
  typeof content === 'string' ? content : (content ?? []).map((part) => part.text).join('');

/** The OpenAI request in the turn's terms: exact messages, client tools, parameters. */
export function mapChatRequest(body: ChatCompletionBody): {
  messages: ModelMessage[];
  lastUserMessage: string;
  tools: ClientTool[] | undefined;
  parameters: TurnParameters;
  maxOutputTokens: number | undefined;
} {
  const messages: ModelMessage[] = body.messages.map((message) => {
    switch (message.role) {
      case 'assistant':
        return {
          role: 'assistant',
          content: text(message.content),
          toolCalls: message.tool_calls?.map((call) => ({ id: call.id, name: call.function.name, arguments: call.function.arguments })),
        };
      case 'tool':
        return { role: 'tool', content: text(message.content), toolCallId: message.tool_call_id };
      default:
        return { role: message.role, content: text(message.content), ...(message.name && { name: message.name }) };
    }
  });
  const lastUser = [...messages].reverse().find((message) => message.role === 'user');
  const tools = body.tools?.map((tool) => ({
    name: tool.function.name,
    description: tool.function.description,
    parameters: tool.function.parameters ?? { type: 'object', properties: {} },
    ...(tool.function.strict != null && { strict: tool.function.strict }),
  }));
  const format = body.response_format;
  const parameters: TurnParameters = {
    temperature: body.temperature ?? undefined,
    topP: body.top_p ?? undefined,
    presencePenalty: body.presence_penalty ?? undefined,
    frequencyPenalty: body.frequency_penalty ?? undefined,
    logitBias: body.logit_bias ?? undefined,
    reasoningEffort: body.reasoning_effort ?? undefined,
    seed: body.seed ?? undefined,
    stop: body.stop == null ? undefined : typeof body.stop === 'string' ? [body.stop] : body.stop,
    toolChoice:
      body.tool_choice === undefined ? undefined : typeof body.tool_choice === 'string' ? body.tool_choice : { name: body.tool_choice.function.name },
    parallelToolCalls: body.parallel_tool_calls,
    responseFormat:
      format === undefined
        ? undefined
        : format.type === 'json_schema'
          ? { type: 'json_schema', name: format.json_schema.name, schema: format.json_schema.schema ?? {}, ...(format.json_schema.strict != null && { strict: format.json_schema.strict }) }
          : { type: format.type },
  };
  return {
    messages,
    lastUserMessage: lastUser?.content ?? '',
    tools: tools?.length ? tools : undefined,
    parameters,
    maxOutputTokens: body.max_completion_tokens ?? body.max_tokens ?? undefined,
  };
}
