import type { ModelCallCompletedData, ModelCallFailedData, ModelCallStartedData } from './events/model-call-events.js';
import type { ContextRetrievedData } from './events/context-retrieved.js';
import type { PromptBuiltData } from './events/prompt-built.js';
import type {
  ToolCallApprovedData,
  ToolCallExecutedData,
  ToolCallFailedData,
  ToolCallRejectedData,
} from './events/tool-call-events.js';
import type { TurnFailureReason } from './events/turn-ended.js';
import type { TurnRequestedData } from './events/turn-requested.js';
import type { FeedbackRecordedData } from './turn-event.js';

/*
 * Commands carry everything that is not pure: the time (`now`), ids, prices and what
 * models and tools produced. Most mirror the event they lead to.
 */

type Command<Type extends string, Data> = { type: Type; data: Data };
type Now = { now: Date };

export type RequestTurn = Command<
  'RequestTurn',
  Omit<TurnRequestedData, 'requestedAt' | 'deadline'> & Now & { deadline: Date }
>;
export type RecordContextRetrieved = Command<'RecordContextRetrieved', ContextRetrievedData>;
export type RecordPromptBuilt = Command<'RecordPromptBuilt', PromptBuiltData & Now>;
export type StartModelCall = Command<'StartModelCall', Omit<ModelCallStartedData, 'startedAt'> & Now>;
/** Tool calls in the answer are proposed in the same decision, so an answer is never half-recorded. */
export type CompleteModelCall = Command<'CompleteModelCall', ModelCallCompletedData & Now>;
export type FailModelCall = Command<'FailModelCall', ModelCallFailedData & Now>;
export type RequestToolApproval = Command<
  'RequestToolApproval',
  { toolCallId: string; reason: string; deadline: Date } & Now
>;
export type ApproveToolCall = Command<'ApproveToolCall', ToolCallApprovedData & Now>;
export type RejectToolCall = Command<'RejectToolCall', ToolCallRejectedData>;
export type RecordToolExecuted = Command<'RecordToolExecuted', ToolCallExecutedData>;
export type RecordToolFailed = Command<'RecordToolFailed', ToolCallFailedData>;
export type ValidateOutput = Command<'ValidateOutput', { step: number; valid: boolean; problems: string[] } & Now>;
export type CompleteTurn = Command<'CompleteTurn', Now>;
export type FailTurn = Command<'FailTurn', { reason: TurnFailureReason; message: string } & Now>;
/** Sent by a sweeper: fails a turn past its deadline and rejects approvals past theirs. */
export type ExpireTurn = Command<'ExpireTurn', Now>;
export type RecordFeedback = Command<'RecordFeedback', Omit<FeedbackRecordedData, 'turnId'>>;

export type TurnCommand =
  | RequestTurn
  | RecordContextRetrieved
  | RecordPromptBuilt
  | StartModelCall
  | CompleteModelCall
  | FailModelCall
  | RequestToolApproval
  | ApproveToolCall
  | RejectToolCall
  | RecordToolExecuted
  | RecordToolFailed
  | ValidateOutput
  | CompleteTurn
  | FailTurn
  | ExpireTurn
  | RecordFeedback;

export type TurnCommandType = TurnCommand['type'];
