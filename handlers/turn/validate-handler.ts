import { nextAction } from '../../domain/turn/next-action.js';
import type { TurnState } from '../../domain/turn/turn-state.js';
import type { PipelineHandler } from '../pipeline-handler.js';
import type { CompleteTurn, ValidateOutput } from '../../domain/turn/turn-command.js';
import { loadTurnForHandler, runTurnCommand, turnIdOf, type TurnPipelineDependencies } from './turn-pipeline-context.js';

/** Problems with an answer; none means it may be delivered. */
export function validateAnswer(state: TurnState): string[] {
  if (state.status === 'none' || !state.answer) return ['there is no answer to validate'];
  const problems: string[] = [];
  const text = state.answer.text.trim();
  if (text.length === 0 && state.answer.toolCalls.length === 0) problems.push('the answer is empty');
  const format = state.prompt?.parameters.responseFormat?.type;
  if (text.length > 0 && (format === 'json_object' || format === 'json_schema')) {
    try {
      JSON.parse(text);
    } catch {
      problems.push('the answer is not valid JSON');
    }
  }
  if (state.answer.finishReason === 'content-filter') problems.push('the provider filtered the answer');
  return problems;
}

/** ModelCallCompleted → OutputValidated → TurnCompleted, or a repair step when the answer fails. */
export function createValidateHandler(dependencies: TurnPipelineDependencies): PipelineHandler {
  return {
    name: 'turn-validate',
    category: 'turn',
    eventTypes: ['ModelCallCompleted', 'OutputValidated'],
    async handle(event) {
      const turnId = turnIdOf(event);
      let state = await loadTurnForHandler(dependencies, turnId);
      if (nextAction(state) === 'validate') {
        state = (await runTurnCommand(dependencies.store, event, 'validate', validateCommand(state))).state;
      }
      if (nextAction(state) === 'complete') {
        await runTurnCommand(dependencies.store, event, 'complete', completeCommand());
      }
    },
  };
}

export function validateCommand(state: TurnState): ValidateOutput {
  const problems = validateAnswer(state);
  const step = state.status === 'none' ? 0 : state.step;
  return { type: 'ValidateOutput', data: { step, valid: problems.length === 0, problems, now: new Date() } };
}

export function completeCommand(): CompleteTurn {
  return { type: 'CompleteTurn', data: { now: new Date() } };
}
