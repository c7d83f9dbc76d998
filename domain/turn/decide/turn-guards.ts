import type { TurnFailureReason } from '../events/turn-ended.js';
import type { TurnCommandType } from '../turn-command.js';
import {
  TurnEndedError,
  TurnNotFoundError,
  UnexpectedTurnCommandError,
  UnknownModelCallError,
  UnknownToolCallError,
} from '../turn-errors.js';
import type { TurnEvent } from '../turn-event.js';
import {
  isEnded,
  type StartedTurn,
  type TrackedModelCall,
  type TrackedToolCall,
  type Turn,
  type TurnInProgress,
  type TurnInProgressStatus,
  type TurnState,
} from '../turn-state.js';

/*
 * The checks commands make, in this order: does the turn exist; has it ended (then only
 * late results of work under way are recorded, and new work is refused, so that no
 * handler starts a model call or a tool for a dead turn); did the command already happen
 * (then it returns []); does the state take it.
 */

export function startedTurn(state: TurnState): StartedTurn {
  if (state.status === 'none') throw new TurnNotFoundError();
  return state;
}

export function inProgress(turn: StartedTurn, commandType: TurnCommandType): TurnInProgress {
  if (isEnded(turn)) throw new TurnEndedError(turn.status, commandType);
  return turn;
}

export function expectStatus(
  turn: TurnInProgress,
  commandType: TurnCommandType,
  statuses: readonly TurnInProgressStatus[],
  detail?: string,
): void {
  if (!statuses.includes(turn.status)) throw new UnexpectedTurnCommandError(turn.status, commandType, detail);
}

export function findModelCall(turn: Turn, callId: string): TrackedModelCall {
  const call = turn.modelCalls.find((candidate) => candidate.callId === callId);
  if (!call) throw new UnknownModelCallError(callId);
  return call;
}

export function findToolCall(turn: Turn, toolCallId: string): TrackedToolCall {
  const call = turn.toolCalls.find((candidate) => candidate.toolCallId === toolCallId);
  if (!call) throw new UnknownToolCallError(toolCallId);
  return call;
}

export function turnFailed(reason: TurnFailureReason, message: string, now: Date): TurnEvent {
  return { type: 'TurnFailed', data: { reason, message, failedAt: now.toISOString() } };
}

/** Past its deadline a turn only fails: no new prompt, call, approval or answer. */
export function deadlineExceeded(turn: Turn, now: Date): TurnEvent {
  return turnFailed('deadline-exceeded', `the turn passed its deadline of ${turn.request.deadline}`, now);
}
