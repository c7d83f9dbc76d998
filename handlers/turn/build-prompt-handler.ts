import type { ConversationState } from '../../domain/conversation/conversation-decider.js';
import type { ModelMessage } from '../../domain/prompt/model-message.js';
import { renderPrompt } from '../../domain/prompt/render-prompt.js';
import { nextAction } from '../../domain/turn/next-action.js';
import type { RecordPromptBuilt } from '../../domain/turn/turn-command.js';
import { isToolCallSettled, type TurnInProgress, type TurnState } from '../../domain/turn/turn-state.js';
import type { PipelineHandler } from '../pipeline-handler.js';
import { conversationHistory, promptTemplateFor } from './prompt-inputs.js';
import { loadTurnForHandler, runTurnCommand, turnIdOf, type TurnPipelineDependencies } from './turn-pipeline-context.js';

/**
 * Renders the next model step's prompt and records exactly what will be sent
 * (PromptBuilt). Step 1 renders the template; later steps continue the previous
 * prompt with the answer and the tool results or the repair request.
 */
export function createBuildPromptHandler(dependencies: TurnPipelineDependencies): PipelineHandler {
  return {
    name: 'turn-build-prompt',
    category: 'turn',
    eventTypes: ['TurnRequested', 'ContextRetrieved', 'OutputRepairRequested', 'ToolCallExecuted', 'ToolCallFailed', 'ToolCallRejected'],
    async handle(event) {
      const state = await loadTurnForHandler(dependencies, turnIdOf(event));
      const command = await buildPromptCommand(state, dependencies);
      if (command) await runTurnCommand(dependencies.store, event, `build-prompt/${command.data.step}`, command);
    },
  };
}

/** The next step's PromptBuilt, when building a prompt is what the turn needs next. */
export async function buildPromptCommand(
  state: TurnState,
  dependencies: TurnPipelineDependencies,
  /** The conversation's state when the caller has just read it (the request checked it). */
  conversation?: ConversationState,
): Promise<RecordPromptBuilt | undefined> {
  if (nextAction(state) !== 'build-prompt' || state.status === 'none' || state.status === 'completed' || state.status === 'failed') return undefined;
  const step = state.step + 1;
  const { messages, promptName, promptVersion, estimatedInputTokens, templateParameters } =
    state.prompt && state.answer ? continuePrompt(state, dependencies) : await firstPrompt(state, dependencies, conversation);
  const limit = state.request.limits.maxOutputTokens;
  return {
    type: 'RecordPromptBuilt',
    data: {
      step,
      promptName,
      promptVersion,
      messages,
      tools: state.request.clientTools ?? [],
      // The request's own parameters win over the template's; the output cap never exceeds the turn's limit.
      parameters: {
        ...templateParameters,
        ...definedOnly(state.request.parameters ?? {}),
        maxOutputTokens: Math.min(templateParameters.maxOutputTokens ?? limit, limit),
      },
      estimatedInputTokens,
      now: new Date(),
    },
  };
}

async function firstPrompt(state: TurnInProgress, dependencies: TurnPipelineDependencies, conversation?: ConversationState) {
  const { request } = state;
  if (request.clientMessages) {
    // OpenAI-compatible calls bring the whole conversation; it is sent as given.
    const messages = [...request.clientMessages];
    return { messages, promptName: 'client', promptVersion: 0, estimatedInputTokens: countMessages(messages, dependencies), templateParameters: {} };
  }
  const template = await promptTemplateFor(dependencies.store, request.conversationId, conversation);
  const context = state.context?.chunks.map((chunk) => ({ label: chunk.label, text: chunk.text, source: chunk.source }));
  if (dependencies.conversationView && !(await dependencies.conversationView.untilCurrent(request.conversationId))) {
    dependencies.logger.warn({ conversationId: request.conversationId, turnId: request.turnId }, 'the conversation view did not catch up in time: the prompt may lack the latest exchange');
  }
  const history = await conversationHistory(dependencies.readModels, request.conversationId, request.turnId);
  const rendered = renderPrompt(template, { history, userMessage: request.message, context, countTokens: dependencies.countTokens });
  return {
    messages: rendered.messages,
    promptName: template.name,
    promptVersion: template.version,
    estimatedInputTokens: rendered.estimatedInputTokens,
    templateParameters: definedOnly({ temperature: template.temperature, maxOutputTokens: template.maxOutputTokens }),
  };
}

function continuePrompt(state: TurnInProgress, dependencies: TurnPipelineDependencies) {
  const previous = state.prompt!;
  const answer = state.answer!;
  const messages: ModelMessage[] = [...previous.messages, { role: 'assistant', content: answer.text, toolCalls: answer.toolCalls.length ? answer.toolCalls : undefined }];
  for (const call of state.toolCalls.filter((tracked) => tracked.step === state.step && isToolCallSettled(tracked))) {
    messages.push({ role: 'tool', toolCallId: call.providerToolCallId, content: call.outcome ?? '' });
  }
  if (state.repair) {
    messages.push({ role: 'user', content: `Your previous answer cannot be used: ${state.repair.problems.join('; ')}. Answer again.` });
  }
  return {
    messages,
    promptName: previous.promptName,
    promptVersion: previous.promptVersion,
    estimatedInputTokens: countMessages(messages, dependencies),
    templateParameters: previous.parameters,
  };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}

function countMessages(messages: readonly ModelMessage[], dependencies: TurnPipelineDependencies): number {
  return messages.reduce((sum, message) => sum + dependencies.countTokens(message.content) + 4, 0);
}
