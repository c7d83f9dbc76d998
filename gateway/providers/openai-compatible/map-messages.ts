import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { ModelMessage } from '../../model-spec.js';

/**
 * Where `developer` messages go. OpenAI's reasoning models want `developer`; most chat
 * templates served by vLLM, Ollama and llama.cpp only know `system`.
 */
export const DEVELOPER_ROLES = ['developer', 'system'] as const;
export type DeveloperRole = (typeof DEVELOPER_ROLES)[number];

export function mapMessages(messages: readonly ModelMessage[], developerRole: DeveloperRole): ChatCompletionMessageParam[] {
  return messages.map((message): ChatCompletionMessageParam => {
    switch (message.role) {
      case 'system':
      case 'user':
        return { role: message.role, content: message.content, ...(message.name !== undefined && { name: message.name }) };
      case 'developer':
        return { role: developerRole, content: message.content, ...(message.name !== undefined && { name: message.name }) };
      case 'assistant': {
        const toolCalls = message.toolCalls ?? [];
        if (toolCalls.length === 0) return { role: 'assistant', content: message.content };
        return {
          role: 'assistant',
          // OpenAI answers tool calls with `content: null`; echoing that shape back is what every compatible server accepts.
          content: message.content === '' ? null : message.content,
          tool_calls: toolCalls.map((call) => ({
            id: call.id,
            type: 'function',
            function: { name: call.name, arguments: call.arguments },
          })),
        };
      }
      case 'tool':
        return { role: 'tool', content: message.content, tool_call_id: message.toolCallId };
      default: {
        const unknown: never = message;
        throw new TypeError(`unknown message role in ${JSON.stringify(unknown)}`);
      }
    }
  });
}
