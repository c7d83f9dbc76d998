import type { ApproveToolCall, RecordToolExecuted, RecordToolFailed, RejectToolCall, RequestToolApproval } from '../turn-command.js';
import { InvalidTurnCommandError, ToolApprovalExpiredError, ToolCallStateError } from '../turn-errors.js';
import type { TurnEvent } from '../turn-event.js';
import { isPastDeadline, type ToolCallStatus, type TrackedToolCall, type TurnState } from '../turn-state.js';
import { deadlineExceeded, findToolCall, inProgress, startedTurn } from './turn-guards.js';

/*
 * A server tool call moves proposed → (awaiting-approval → approved) → executed | failed,
 * or to rejected from proposed or awaiting-approval. Client calls leave with the turn
 * and take no command here.
 */

export function requestToolApproval(command: RequestToolApproval['data'], state: TurnState): TurnEvent[] {
  const { toolCallId, reason, deadline, now } = command;
  const current = inProgress(startedTurn(state), 'RequestToolApproval');
  const call = findToolCall(current, toolCallId);
  if (call.approval) return [];
  expectToolCall(call, ['proposed'], 'sent for approval');
  if (isPastDeadline(current, now)) return [deadlineExceeded(current, now)];
  if (deadline <= now) throw new InvalidTurnCommandError('deadline', 'an approval deadline must be in the future');
  return [{ type: 'ToolCallApprovalRequested', data: { toolCallId, reason, deadline: deadline.toISOString() } }];
}

export function approveToolCall({ toolCallId, approvedBy, now }: ApproveToolCall['data'], state: TurnState): TurnEvent[] {
  const current = inProgress(startedTurn(state), 'ApproveToolCall');
  const call = findToolCall(current, toolCallId);
  if (call.status === 'approved' || call.approval?.approvedBy !== undefined) return [];
  expectToolCall(call, ['awaiting-approval'], 'approved');
  if (isPastDeadline(current, now)) return [deadlineExceeded(current, now)];
  if (call.approval && now.getTime() > Date.parse(call.approval.deadline)) {
    throw new ToolApprovalExpiredError(toolCallId, call.approval.deadline);
  }
  return [{ type: 'ToolCallApproved', data: { toolCallId, approvedBy } }];
}

export function rejectToolCall(data: RejectToolCall['data'], state: TurnState): TurnEvent[] {
  const current = inProgress(startedTurn(state), 'RejectToolCall');
  const call = findToolCall(current, data.toolCallId);
  if (call.status === 'rejected') return [];
  expectToolCall(call, ['proposed', 'awaiting-approval'], 'rejected');
  return [{ type: 'ToolCallRejected', data }];
}

/** Recorded even after the turn ended: the tool ran, and the audit trail must say so. */
export function recordToolExecuted(data: RecordToolExecuted['data'], state: TurnState): TurnEvent[] {
  const call = findToolCall(startedTurn(state), data.toolCallId);
  if (call.status === 'executed') return [];
  expectToolCall(call, ['proposed', 'approved'], 'executed');
  return [{ type: 'ToolCallExecuted', data }];
}

export function recordToolFailed(data: RecordToolFailed['data'], state: TurnState): TurnEvent[] {
  const call = findToolCall(startedTurn(state), data.toolCallId);
  if (call.status === 'failed') return [];
  expectToolCall(call, ['proposed', 'approved'], 'recorded as failed');
  return [{ type: 'ToolCallFailed', data }];
}

function expectToolCall(call: TrackedToolCall, statuses: readonly ToolCallStatus[], action: string): void {
  if (call.executor === 'client') throw new ToolCallStateError(call.toolCallId, 'executed by the client', action);
  if (!statuses.includes(call.status)) throw new ToolCallStateError(call.toolCallId, call.status, action);
}
