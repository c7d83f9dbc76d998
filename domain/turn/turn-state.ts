import type { ModelToolCall } from '../prompt/model-message.js';
import type { ContextRetrievedData } from './events/context-retrieved.js';
import type { ModelCallCompletedData } from './events/model-call-events.js';
import type { ModelUsage } from './events/model-shapes.js';
import type { OutputRepairRequestedData, OutputValidatedData } from './events/output-events.js';
import type { PromptBuiltData } from './events/prompt-built.js';
import type { ToolExecutor } from './events/tool-call-events.js';
import type { TurnCompletedData, TurnFailedData } from './events/turn-ended.js';
import type { TurnRequestedData } from './events/turn-requested.js';
import type { FeedbackRecordedData } from './turn-event.js';

export type ToolCallStatus = 'proposed' | 'awaiting-approval' | 'approved' | 'rejected' | 'executed' | 'failed';

export interface TrackedToolCall {
  toolCallId: string;
  providerToolCallId: string;
  step: number;
  name: string;
  arguments: string;
  executor: ToolExecutor;
  status: ToolCallStatus;
  approval?: { reason: string; deadline: string; approvedBy?: string };
  /** Once settled: the result, the error or why it was rejected, which the next prompt tells the model. */
  outcome?: string;
}

export interface TrackedModelCall {
  step: number;
  callId: string;
  outcome: 'started' | 'completed' | 'failed';
  /** When the call went out (ISO): whoever started it holds the step for a lease from then. */
  startedAt?: string;
  startedBy?: string;
}

/** What the model said at a step. */
export type ModelAnswer = Pick<ModelCallCompletedData, 'step' | 'text' | 'finishReason'> & { toolCalls: ModelToolCall[] };

/** What every started turn knows; each status adds what it ends with. */
export interface Turn {
  request: TurnRequestedData;
  context?: ContextRetrievedData;
  /** Step of the latest prompt built: 0 before the first, at most `limits.maxModelSteps`. */
  step: number;
  prompt?: PromptBuiltData;
  modelCalls: readonly TrackedModelCall[];
  answer?: ModelAnswer;
  /** Every tool call of the turn, in the order proposed. */
  toolCalls: readonly TrackedToolCall[];
  /** Summed over every completed model call, late ones included. */
  usage: ModelUsage;
  validation?: OutputValidatedData;
  repair?: OutputRepairRequestedData;
  feedback?: FeedbackRecordedData;
}

export type TurnInProgressStatus =
  | 'requested'
  | 'context-retrieved'
  | 'prompt-built'
  | 'calling-model'
  | 'model-answered'
  | 'awaiting-tools'
  | 'validated'
  | 'repairing';

export type TurnInProgress = Turn & { status: TurnInProgressStatus };
export type CompletedTurn = Turn & { status: 'completed'; outcome: TurnCompletedData };
export type FailedTurn = Turn & { status: 'failed'; failure: TurnFailedData };
export type EndedTurn = CompletedTurn | FailedTurn;
export type StartedTurn = TurnInProgress | EndedTurn;

export type TurnState = { status: 'none' } | StartedTurn;
export type TurnStatus = TurnState['status'];

export function initialState(): TurnState {
  return { status: 'none' };
}

export const NO_USAGE: ModelUsage = { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 };

export function isEnded(turn: StartedTurn): turn is EndedTurn {
  return turn.status === 'completed' || turn.status === 'failed';
}

/** Rejected, executed or failed: nothing more will happen to the call. */
export function isToolCallSettled(call: TrackedToolCall): boolean {
  return call.status === 'rejected' || call.status === 'executed' || call.status === 'failed';
}

export function currentToolCalls(turn: Turn): TrackedToolCall[] {
  return turn.toolCalls.filter((call) => call.step === turn.step);
}

/** True when every tool call of the current step is settled: the next step may be built. */
export function allToolCallsSettled(turn: Turn): boolean {
  return currentToolCalls(turn).every(isToolCallSettled);
}

/** Server calls of the current step that may run now: proposed (policy decides) or approved. */
export function toolCallsToExecute(turn: Turn): TrackedToolCall[] {
  return currentToolCalls(turn).filter(
    (call) => call.executor === 'server' && (call.status === 'proposed' || call.status === 'approved'),
  );
}

/**
 * An OpenAI-compatible call gets the model's answer as the model gave it (its finish
 * reason included), as it would from OpenAI: validation records what it finds, but
 * never asks the model again, which the client neither asked for nor pays for knowingly.
 */
export function deliversAnswerAsGiven(turn: Turn): boolean {
  return turn.request.source === 'openai-compatible';
}

export function modelStepsLeft(turn: Turn): number {
  return Math.max(0, turn.request.limits.maxModelSteps - turn.step);
}

export function isPastDeadline(turn: Turn, now: Date): boolean {
  return now.getTime() > Date.parse(turn.request.deadline);
}

export function addUsage(total: ModelUsage, usage: ModelUsage): ModelUsage {
  return {
    inputTokens: total.inputTokens + usage.inputTokens,
    outputTokens: total.outputTokens + usage.outputTokens,
    cachedInputTokens: total.cachedInputTokens + usage.cachedInputTokens,
  };
}
