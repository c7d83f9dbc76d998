import { allToolCallsSettled, toolCallsToExecute, type TurnState } from './turn-state.js';

/**
 * What the pipeline should do next for a turn:
 * - `retrieve`: search for context (mode rag, nothing retrieved yet) → RecordContextRetrieved
 * - `build-prompt`: render the next step's prompt → RecordPromptBuilt (the decider fails
 *   the turn instead when the step bound is reached)
 * - `call-model`: call the gateway → StartModelCall, then CompleteModelCall | FailModelCall.
 *   Also while a call is in flight: a handler redelivered after a crash resumes it with the
 *   same call id, for which StartModelCall returns [].
 * - `execute-tools`: server calls of the step are proposed or approved → run each (or ask for
 *   approval, or reject, as the tool policy says) → RecordToolExecuted | RecordToolFailed |
 *   RequestToolApproval | RejectToolCall
 * - `await-approval`: every unsettled call waits for a person; only ApproveToolCall,
 *   RejectToolCall or the sweeper's ExpireTurn move the turn
 * - `validate`: check the answer → ValidateOutput
 * - `complete`: the answer is valid → CompleteTurn
 * - `none`: no turn, or it has ended
 * It needs no clock: deadlines are the sweeper's (ExpireTurn), checked again by every
 * command that carries `now`.
 */
export type TurnAction =
  | 'retrieve'
  | 'build-prompt'
  | 'call-model'
  | 'execute-tools'
  | 'await-approval'
  | 'validate'
  | 'complete'
  | 'none';

export function nextAction(state: TurnState): TurnAction {
  switch (state.status) {
    case 'requested':
      return state.request.mode === 'rag' ? 'retrieve' : 'build-prompt';
    case 'context-retrieved':
    case 'repairing':
      return 'build-prompt';
    case 'prompt-built':
    case 'calling-model':
      return 'call-model';
    case 'model-answered':
      return 'validate';
    case 'awaiting-tools':
      if (allToolCallsSettled(state)) return 'build-prompt';
      return toolCallsToExecute(state).length > 0 ? 'execute-tools' : 'await-approval';
    case 'validated':
      return 'complete';
    case 'none':
    case 'completed':
    case 'failed':
      return 'none';
    default:
      return unknownStatus(state);
  }
}

function unknownStatus(state: never): never {
  throw new Error(`unknown turn status ${JSON.stringify(state)}`);
}
