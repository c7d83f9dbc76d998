import type { RecordContextRetrieved, RecordPromptBuilt } from '../turn-command.js';
import { OutputTokenLimitError, TurnStepMismatchError, UnexpectedTurnCommandError } from '../turn-errors.js';
import type { TurnEvent } from '../turn-event.js';
import { allToolCallsSettled, isPastDeadline, type TurnInProgress, type TurnState } from '../turn-state.js';
import { deadlineExceeded, expectStatus, inProgress, startedTurn, turnFailed } from './turn-guards.js';

export function recordContextRetrieved(data: RecordContextRetrieved['data'], state: TurnState): TurnEvent[] {
  const current = inProgress(startedTurn(state), 'RecordContextRetrieved');
  if (current.context) return [];
  if (current.request.mode !== 'rag') {
    throw new UnexpectedTurnCommandError(current.status, 'RecordContextRetrieved', 'a chat turn retrieves nothing');
  }
  expectStatus(current, 'RecordContextRetrieved', ['requested']);
  return [{ type: 'ContextRetrieved', data }];
}

/**
 * Opens the next model step. The step bound lives here: the step after the last one
 * allowed fails the turn instead of reaching a model.
 */
export function recordPromptBuilt({ now, ...prompt }: RecordPromptBuilt['data'], state: TurnState): TurnEvent[] {
  const current = inProgress(startedTurn(state), 'RecordPromptBuilt');
  if (prompt.step <= current.step) return [];
  const waitingFor = whyNotReadyForPrompt(current);
  if (waitingFor) throw new UnexpectedTurnCommandError(current.status, 'RecordPromptBuilt', waitingFor);
  if (prompt.step !== current.step + 1) throw new TurnStepMismatchError(current.step + 1, prompt.step);
  if (isPastDeadline(current, now)) return [deadlineExceeded(current, now)];
  const { maxModelSteps, maxOutputTokens } = current.request.limits;
  if (prompt.step > maxModelSteps) {
    return [turnFailed('max-model-steps', `the turn may take at most ${maxModelSteps} model steps`, now)];
  }
  const cap = prompt.parameters.maxOutputTokens;
  if (cap === undefined || cap > maxOutputTokens) throw new OutputTokenLimitError(maxOutputTokens);
  return [{ type: 'PromptBuilt', data: prompt }];
}

function whyNotReadyForPrompt(turn: TurnInProgress): string | undefined {
  switch (turn.status) {
    case 'requested':
      return turn.request.mode === 'rag' ? 'a rag turn retrieves context first' : undefined;
    case 'context-retrieved':
    case 'repairing':
      return undefined;
    case 'awaiting-tools':
      return allToolCallsSettled(turn) ? undefined : `tool calls of step ${turn.step} are not all settled`;
    default:
      return 'the current step is not finished';
  }
}
