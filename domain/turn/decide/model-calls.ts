import { deterministicId } from '../../shared/ids.js';
import type { CompleteModelCall, FailModelCall, StartModelCall } from '../turn-command.js';
import { TurnStepMismatchError, UnexpectedTurnCommandError } from '../turn-errors.js';
import type { TurnEvent } from '../turn-event.js';
import { addUsage, isEnded, isPastDeadline, type StartedTurn, type TurnInProgress, type TurnState } from '../turn-state.js';
import { deadlineExceeded, expectStatus, findModelCall, inProgress, startedTurn, turnFailed } from './turn-guards.js';

export function startModelCall({ now, ...call }: StartModelCall['data'], state: TurnState): TurnEvent[] {
  const current = inProgress(startedTurn(state), 'StartModelCall');
  // A call-model handler that crashed after starting resumes with the same call id.
  if (current.modelCalls.some((started) => started.callId === call.callId)) return [];
  expectStatus(current, 'StartModelCall', ['prompt-built']);
  if (call.step !== current.step) throw new TurnStepMismatchError(current.step, call.step);
  if (isPastDeadline(current, now)) return [deadlineExceeded(current, now)];
  return [{ type: 'ModelCallStarted', data: { ...call, startedAt: now.toISOString() } }];
}

/**
 * Records the answer and what follows from it in one decision: the tool calls it
 * proposes (or the failure when they would pass the bound), and, for tools the client
 * executes, the end of the turn. A completion that arrives after the turn ended is
 * still recorded, because its tokens were spent.
 */
export function completeModelCall({ now, ...completion }: CompleteModelCall['data'], state: TurnState): TurnEvent[] {
  const turn = startedTurn(state);
  if (settledCall(turn, completion.callId, completion.step, 'completed', 'CompleteModelCall')) return [];
  const recorded: TurnEvent = { type: 'ModelCallCompleted', data: completion };
  if (isEnded(turn)) return [recorded];
  if (isPastDeadline(turn, now)) return [recorded, deadlineExceeded(turn, now)];
  if (completion.toolCalls.length === 0) return [recorded];
  return [recorded, ...proposeToolCalls(turn, completion, now)];
}

export function failModelCall({ now, ...failure }: FailModelCall['data'], state: TurnState): TurnEvent[] {
  const turn = startedTurn(state);
  if (settledCall(turn, failure.callId, failure.step, 'failed', 'FailModelCall')) return [];
  const recorded: TurnEvent = { type: 'ModelCallFailed', data: failure };
  // The gateway has already retried and fallen back; a failure it reports ends the turn.
  const reason = failure.errorKind === 'budget-exceeded' ? 'budget-exceeded' : 'model-call-failed';
  return isEnded(turn) ? [recorded] : [recorded, turnFailed(reason, failure.message, now)];
}

/** True when the call already ended this way; throws when it ended the other way or is unknown. */
function settledCall(
  turn: StartedTurn,
  callId: string,
  step: number,
  outcome: 'completed' | 'failed',
  commandType: 'CompleteModelCall' | 'FailModelCall',
): boolean {
  const call = findModelCall(turn, callId);
  if (call.outcome === outcome) return true;
  if (call.outcome !== 'started') {
    throw new UnexpectedTurnCommandError(turn.status, commandType, `model call ${callId} has already ${call.outcome}`);
  }
  if (call.step !== step) throw new TurnStepMismatchError(call.step, step);
  return false;
}

/**
 * The id of the `index`-th tool call the model proposed at `step`. Derived, not minted: a
 * redelivered completion proposes the very same ids, and they are unique over all turns.
 */
export function toolCallIdFor(turnId: string, step: number, index: number): string {
  return deterministicId(turnId, `tool-call/${step}/${index}`);
}

function proposeToolCalls(turn: TurnInProgress, completion: Omit<CompleteModelCall['data'], 'now'>, now: Date): TurnEvent[] {
  const { maxToolCalls } = turn.request.limits;
  if (turn.toolCalls.length + completion.toolCalls.length > maxToolCalls) {
    return [turnFailed('max-tool-calls', `the turn may make at most ${maxToolCalls} tool calls`, now)];
  }
  // A turn that brings its own tools is a pass-through: every call goes back to the client. So is any
  // OpenAI-compatible call: its client is the only one who can run a tool, even one it did not declare.
  const executor = turn.request.clientTools?.length || turn.request.source === 'openai-compatible' ? 'client' : 'server';
  const proposals = completion.toolCalls.map((call, index) => ({
    step: completion.step,
    toolCallId: toolCallIdFor(turn.request.turnId, completion.step, index),
    providerToolCallId: call.id,
    name: call.name,
    arguments: call.arguments,
    executor,
  })) satisfies Extract<TurnEvent, { type: 'ToolCallProposed' }>['data'][];
  const proposed = proposals.map((data): TurnEvent => ({ type: 'ToolCallProposed', data }));
  if (executor === 'server') return proposed;
  const toolCalls = proposals.map(({ toolCallId, name, arguments: text }) => ({ toolCallId, name, arguments: text }));
  const data = {
    answer: completion.text,
    // The model's own reason when it says more than "stop" (a cap reached mid-arguments is `length`).
    finishReason: completion.finishReason === 'stop' ? ('tool-calls' as const) : completion.finishReason,
    usage: addUsage(turn.usage, completion.usage),
    toolCalls,
    completedAt: now.toISOString(),
  };
  return [...proposed, { type: 'TurnCompleted', data }];
}
