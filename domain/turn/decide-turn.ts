import { completeModelCall, failModelCall, startModelCall } from './decide/model-calls.js';
import { recordContextRetrieved, recordPromptBuilt } from './decide/prompt-steps.js';
import { requestTurn } from './decide/request-turn.js';
import { approveToolCall, recordToolExecuted, recordToolFailed, rejectToolCall, requestToolApproval } from './decide/tool-calls.js';
import { completeTurn, expireTurn, failTurn, recordFeedback, validateOutput } from './decide/turn-outcome.js';
import { evolve } from './evolve-turn.js';
import type { TurnCommand } from './turn-command.js';
import type { TurnEvent } from './turn-event.js';
import { initialState, type TurnState } from './turn-state.js';

/**
 * What a command makes happen to a turn. Pure: time, ids and model output arrive on
 * the command. A command that repeats what already happened returns [], so a
 * redelivered message appends nothing; a command the turn cannot take throws a
 * DomainError naming why.
 */
export function decide(command: TurnCommand, state: TurnState): TurnEvent[] {
  switch (command.type) {
    case 'RequestTurn':
      return requestTurn(command.data, state);
    case 'RecordContextRetrieved':
      return recordContextRetrieved(command.data, state);
    case 'RecordPromptBuilt':
      return recordPromptBuilt(command.data, state);
    case 'StartModelCall':
      return startModelCall(command.data, state);
    case 'CompleteModelCall':
      return completeModelCall(command.data, state);
    case 'FailModelCall':
      return failModelCall(command.data, state);
    case 'RequestToolApproval':
      return requestToolApproval(command.data, state);
    case 'ApproveToolCall':
      return approveToolCall(command.data, state);
    case 'RejectToolCall':
      return rejectToolCall(command.data, state);
    case 'RecordToolExecuted':
      return recordToolExecuted(command.data, state);
    case 'RecordToolFailed':
      return recordToolFailed(command.data, state);
    case 'ValidateOutput':
      return validateOutput(command.data, state);
    case 'CompleteTurn':
      return completeTurn(command.data, state);
    case 'FailTurn':
      return failTurn(command.data, state);
    case 'ExpireTurn':
      return expireTurn(command.data, state);
    case 'RecordFeedback':
      return recordFeedback(command.data, state);
    default:
      return unknownCommand(command);
  }
}

export const turnDecider = { decide, evolve, initialState };

function unknownCommand(command: never): never {
  throw new Error(`unknown turn command ${JSON.stringify(command)}`);
}
