import type {
  ChatCompletionCreateParamsBase,
  ChatCompletionToolChoiceOption,
} from 'openai/resources/chat/completions';
import type { ModelRequest, ModelResponseFormat, ModelToolChoice } from '../../model-spec.js';
import { mapMessages, type DeveloperRole } from './map-messages.js';

export type ChatParameters = Omit<ChatCompletionCreateParamsBase, 'stream' | 'stream_options'>;

export const OUTPUT_TOKENS_FIELDS = ['max_tokens', 'max_completion_tokens'] as const;
export type OutputTokensField = (typeof OUTPUT_TOKENS_FIELDS)[number];

/** Where OpenAI-compatible servers differ in what they accept. */
export interface ServerDialect {
  /** `system` for servers whose chat templates lack the developer role; `developer` by default. */
  developerRole?: DeveloperRole;
  /**
   * The output cap's name; `max_tokens` by default, which vLLM, Ollama and llama.cpp read
   * and OpenAI's chat models accept. OpenAI's reasoning models take only `max_completion_tokens`.
   */
  outputTokensField?: OutputTokensField;
}

/** The chat completion parameters for a request. Only what the request sets is sent, so servers apply their own defaults. */
export function mapRequest(modelId: string, request: ModelRequest, dialect: ServerDialect = {}): ChatParameters {
  const parameters: ChatParameters = { model: modelId, messages: mapMessages(request.messages, dialect.developerRole ?? 'developer') };
  if (request.tools && request.tools.length > 0) {
    parameters.tools = request.tools.map((tool) => ({
      type: 'function',
      function: {
        name: tool.name,
        parameters: tool.parameters,
        ...(tool.description !== undefined && { description: tool.description }),
        ...(tool.strict !== undefined && { strict: tool.strict }),
      },
    }));
  }
  if (request.toolChoice !== undefined) parameters.tool_choice = mapToolChoice(request.toolChoice);
  if (request.parallelToolCalls !== undefined && parameters.tools) parameters.parallel_tool_calls = request.parallelToolCalls;
  if (request.responseFormat !== undefined) parameters.response_format = mapResponseFormat(request.responseFormat);
  if (request.temperature !== undefined) parameters.temperature = request.temperature;
  if (request.topP !== undefined) parameters.top_p = request.topP;
  if (request.presencePenalty !== undefined) parameters.presence_penalty = request.presencePenalty;
  if (request.frequencyPenalty !== undefined) parameters.frequency_penalty = request.frequencyPenalty;
  if (request.logitBias !== undefined) parameters.logit_bias = { ...request.logitBias };
  if (request.reasoningEffort !== undefined) parameters.reasoning_effort = request.reasoningEffort;
  if (request.maxOutputTokens !== undefined) parameters[dialect.outputTokensField ?? 'max_tokens'] = request.maxOutputTokens;
  if (request.seed !== undefined) parameters.seed = request.seed;
  if (request.stop !== undefined && request.stop.length > 0) parameters.stop = [...request.stop];
  if (request.user !== undefined) parameters.user = request.user;
  return parameters;
}

function mapToolChoice(choice: ModelToolChoice): ChatCompletionToolChoiceOption {
  return typeof choice === 'string' ? choice : { type: 'function', function: { name: choice.name } };
}

function mapResponseFormat(format: ModelResponseFormat): NonNullable<ChatParameters['response_format']> {
  switch (format.type) {
    case 'text':
    case 'json_object':
      return { type: format.type };
    case 'json_schema':
      return {
        type: 'json_schema',
        json_schema: {
          name: format.name,
          schema: format.schema,
          ...(format.strict !== undefined && { strict: format.strict }),
        },
      };
  }
}
