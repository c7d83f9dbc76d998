import type { CompleteTurn, ExpireTurn, FailTurn, RecordFeedback, ValidateOutput } from '../turn-command.js';
import { InvalidTurnCommandError, TurnStepMismatchError, UnexpectedTurnCommandError } from '../turn-errors.js';
import type { TurnEvent } from '../turn-event.js';
import { deliversAnswerAsGiven, isEnded, isPastDeadline, modelStepsLeft, type TrackedToolCall, type TurnState } from '../turn-state.js';
import { deadlineExceeded, expectStatus, inProgress, startedTurn, turnFailed } from './turn-guards.js';

export const APPROVAL_DEADLINE_EXCEEDED = 'approval deadline exceeded';

/** An invalid answer is repaired by one more model step, or fails the turn when none is left. */
export function validateOutput({ step, valid, problems, now }: ValidateOutput['data'], state: TurnState): TurnEvent[] {
  const current = inProgress(startedTurn(state), 'ValidateOutput');
  if (current.validation && current.validation.step >= step) return [];
  expectStatus(current, 'ValidateOutput', ['model-answered']);
  if (step !== current.step) throw new TurnStepMismatchError(current.step, step);
  if (!valid && problems.length === 0) throw new InvalidTurnCommandError('problems', 'an invalid answer names its problems');
  const validated: TurnEvent = { type: 'OutputValidated', data: { step, valid, problems } };
  if (valid || deliversAnswerAsGiven(current)) return [validated];
  if (modelStepsLeft(current) === 0) {
    return [validated, turnFailed('invalid-output', `no model step is left to repair: ${problems.join('; ')}`, now)];
  }
  return [validated, { type: 'OutputRepairRequested', data: { step, problems } }];
}

export function completeTurn({ now }: CompleteTurn['data'], state: TurnState): TurnEvent[] {
  const turn = startedTurn(state);
  if (turn.status === 'completed') return [];
  const current = inProgress(turn, 'CompleteTurn');
  expectStatus(current, 'CompleteTurn', ['validated']);
  const { answer } = current;
  if (!answer) throw new UnexpectedTurnCommandError(current.status, 'CompleteTurn', 'there is no answer');
  if (isPastDeadline(current, now)) return [deadlineExceeded(current, now)];
  const data = { answer: answer.text, finishReason: answer.finishReason, usage: current.usage, completedAt: now.toISOString() };
  return [{ type: 'TurnCompleted', data }];
}

export function failTurn({ reason, message, now }: FailTurn['data'], state: TurnState): TurnEvent[] {
  const turn = startedTurn(state);
  if (turn.status === 'failed') return [];
  inProgress(turn, 'FailTurn');
  return [turnFailed(reason, message, now)];
}

/** The sweeper's tick: ends a turn past its deadline, else rejects approvals past theirs. */
export function expireTurn({ now }: ExpireTurn['data'], state: TurnState): TurnEvent[] {
  const turn = startedTurn(state);
  if (isEnded(turn)) return [];
  if (isPastDeadline(turn, now)) return [deadlineExceeded(turn, now)];
  const overdue = (call: TrackedToolCall) =>
    call.status === 'awaiting-approval' && call.approval !== undefined && now.getTime() > Date.parse(call.approval.deadline);
  const rejected = (call: TrackedToolCall): TurnEvent => ({
    type: 'ToolCallRejected',
    data: { toolCallId: call.toolCallId, reason: APPROVAL_DEADLINE_EXCEEDED },
  });
  return turn.toolCalls.filter(overdue).map(rejected);
}

/** Feedback is on an answer, or on its absence, so the turn must have ended. */
export function recordFeedback(feedback: RecordFeedback['data'], state: TurnState): TurnEvent[] {
  const turn = startedTurn(state);
  if (!isEnded(turn)) {
    throw new UnexpectedTurnCommandError(turn.status, 'RecordFeedback', 'feedback waits for the turn to end');
  }
  const last = turn.feedback;
  const repeated =
    last?.source === feedback.source &&
    last.score === feedback.score &&
    last.comment === feedback.comment &&
    last.correction === feedback.correction;
  if (repeated) return [];
  return [{ type: 'FeedbackRecorded', data: { ...feedback, turnId: turn.request.turnId } }];
}
