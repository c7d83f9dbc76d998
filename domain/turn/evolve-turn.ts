import type { TurnEvent } from './turn-event.js';
import {
  addUsage,
  deliversAnswerAsGiven,
  isEnded,
  NO_USAGE,
  type StartedTurn,
  type TrackedModelCall,
  type TrackedToolCall,
  type TurnInProgress,
  type TurnState,
} from './turn-state.js';

/**
 * Folds one event into the turn. Total: any event in any state gives a state, never an
 * error, so a stream written by an older or buggier build still loads. Once a turn has
 * ended its status stays, but late facts (a model call or tool run that finished after
 * the end) are still counted.
 */
export function evolve(state: TurnState, event: TurnEvent): TurnState {
  if (state.status === 'none') {
    if (event.type !== 'TurnRequested') return state;
    return { status: 'requested', request: event.data, step: 0, modelCalls: [], toolCalls: [], usage: NO_USAGE };
  }
  const turn = record(state, event);
  return isEnded(turn) ? turn : transition(turn, event);
}

function transition(turn: TurnInProgress, event: TurnEvent): StartedTurn {
  switch (event.type) {
    case 'ContextRetrieved':
      return { ...turn, status: 'context-retrieved' };
    case 'PromptBuilt':
      return event.data.step === turn.step ? { ...turn, status: 'prompt-built' } : turn;
    case 'ModelCallStarted':
      return event.data.step === turn.step ? { ...turn, status: 'calling-model' } : turn;
    case 'ModelCallCompleted':
      if (event.data.step !== turn.step) return turn;
      return { ...turn, status: event.data.toolCalls.length > 0 ? 'awaiting-tools' : 'model-answered' };
    case 'OutputValidated':
      return event.data.valid || deliversAnswerAsGiven(turn) ? { ...turn, status: 'validated' } : turn;
    case 'OutputRepairRequested':
      return { ...turn, status: 'repairing' };
    case 'TurnCompleted':
      return { ...turn, status: 'completed', outcome: event.data };
    case 'TurnFailed':
      return { ...turn, status: 'failed', failure: event.data };
    default:
      return turn;
  }
}

/** The bookkeeping every event leaves, whatever the status. */
function record(turn: StartedTurn, event: TurnEvent): StartedTurn {
  switch (event.type) {
    case 'ContextRetrieved':
      return { ...turn, context: event.data };
    case 'PromptBuilt':
      return { ...turn, step: Math.max(turn.step, event.data.step), prompt: event.data };
    case 'ModelCallStarted': {
      if (turn.modelCalls.some((call) => call.callId === event.data.callId)) return turn;
      const { step, callId, startedAt, startedBy } = event.data;
      const started: TrackedModelCall = { step, callId, outcome: 'started', startedAt, startedBy };
      return { ...turn, modelCalls: [...turn.modelCalls, started] };
    }
    case 'ModelCallCompleted': {
      const { step, callId, text, toolCalls, finishReason, usage } = event.data;
      // A duplicated completion must not count its tokens twice.
      if (turn.modelCalls.some((call) => call.callId === callId && call.outcome === 'completed')) return turn;
      const answer = step >= (turn.answer?.step ?? 0) ? { step, text, toolCalls, finishReason } : turn.answer;
      return { ...turn, modelCalls: settleModelCall(turn, step, callId, 'completed'), answer, usage: addUsage(turn.usage, usage) };
    }
    case 'ModelCallFailed': {
      const { step, callId, usage } = event.data;
      if (turn.modelCalls.some((call) => call.callId === callId && call.outcome === 'failed')) return turn;
      // A stream cut after output was billed: its estimate counts, as in the ledger and the conversation view.
      return { ...turn, modelCalls: settleModelCall(turn, step, callId, 'failed'), usage: usage ? addUsage(turn.usage, usage) : turn.usage };
    }
    case 'ToolCallProposed': {
      if (turn.toolCalls.some((call) => call.toolCallId === event.data.toolCallId)) return turn;
      return { ...turn, toolCalls: [...turn.toolCalls, { ...event.data, status: 'proposed' }] };
    }
    case 'ToolCallApprovalRequested': {
      const { toolCallId, reason, deadline } = event.data;
      return updateToolCall(turn, toolCallId, () => ({ status: 'awaiting-approval', approval: { reason, deadline } }));
    }
    case 'ToolCallApproved':
      return updateToolCall(turn, event.data.toolCallId, (call) => ({
        status: 'approved',
        approval: call.approval && { ...call.approval, approvedBy: event.data.approvedBy },
      }));
    case 'ToolCallRejected':
      return updateToolCall(turn, event.data.toolCallId, () => ({ status: 'rejected', outcome: event.data.reason }));
    case 'ToolCallExecuted':
      return updateToolCall(turn, event.data.toolCallId, () => ({ status: 'executed', outcome: event.data.result }));
    case 'ToolCallFailed':
      return updateToolCall(turn, event.data.toolCallId, () => ({ status: 'failed', outcome: event.data.error }));
    case 'OutputValidated':
      return { ...turn, validation: event.data };
    case 'OutputRepairRequested':
      return { ...turn, repair: event.data };
    case 'FeedbackRecorded':
      return { ...turn, feedback: event.data };
    default:
      return turn;
  }
}

function settleModelCall(turn: StartedTurn, step: number, callId: string, outcome: TrackedModelCall['outcome']): TrackedModelCall[] {
  if (!turn.modelCalls.some((call) => call.callId === callId)) return [...turn.modelCalls, { step, callId, outcome }];
  return turn.modelCalls.map((call) => (call.callId === callId ? { ...call, outcome } : call));
}

function updateToolCall(
  turn: StartedTurn,
  toolCallId: string,
  change: (call: TrackedToolCall) => Partial<TrackedToolCall>,
): StartedTurn {
  if (!turn.toolCalls.some((call) => call.toolCallId === toolCallId)) return turn;
  return { ...turn, toolCalls: turn.toolCalls.map((call) => (call.toolCallId === toolCallId ? { ...call, ...change(call) } : call)) };
}
