import type { EventData } from '../events/event-type.js';
import { ContextRetrieved, type ContextRetrievedData } from './events/context-retrieved.js';
import { FeedbackRecorded } from './events/feedback-recorded.js';
import {
  ModelCallCompleted,
  ModelCallFailed,
  ModelCallStarted,
  type ModelCallCompletedData,
  type ModelCallFailedData,
  type ModelCallStartedData,
} from './events/model-call-events.js';
import {
  OutputRepairRequested,
  OutputValidated,
  type OutputRepairRequestedData,
  type OutputValidatedData,
} from './events/output-events.js';
import { PromptBuilt, type PromptBuiltData } from './events/prompt-built.js';
import {
  ToolCallApprovalRequested,
  ToolCallApproved,
  ToolCallExecuted,
  ToolCallFailed,
  ToolCallProposed,
  ToolCallRejected,
  type ToolCallApprovalRequestedData,
  type ToolCallApprovedData,
  type ToolCallExecutedData,
  type ToolCallFailedData,
  type ToolCallProposedData,
  type ToolCallRejectedData,
} from './events/tool-call-events.js';
import { TurnCompleted, TurnFailed, type TurnCompletedData, type TurnFailedData } from './events/turn-ended.js';
import { TurnRequested, type TurnRequestedData } from './events/turn-requested.js';

export type FeedbackRecordedData = EventData<typeof FeedbackRecorded>;

/** Everything that happens on a `turn-<id>` stream, in the order the pipeline writes it. */
export type TurnEvent =
  | { type: 'TurnRequested'; data: TurnRequestedData }
  | { type: 'ContextRetrieved'; data: ContextRetrievedData }
  | { type: 'PromptBuilt'; data: PromptBuiltData }
  | { type: 'ModelCallStarted'; data: ModelCallStartedData }
  | { type: 'ModelCallCompleted'; data: ModelCallCompletedData }
  | { type: 'ModelCallFailed'; data: ModelCallFailedData }
  | { type: 'ToolCallProposed'; data: ToolCallProposedData }
  | { type: 'ToolCallApprovalRequested'; data: ToolCallApprovalRequestedData }
  | { type: 'ToolCallApproved'; data: ToolCallApprovedData }
  | { type: 'ToolCallRejected'; data: ToolCallRejectedData }
  | { type: 'ToolCallExecuted'; data: ToolCallExecutedData }
  | { type: 'ToolCallFailed'; data: ToolCallFailedData }
  | { type: 'OutputValidated'; data: OutputValidatedData }
  | { type: 'OutputRepairRequested'; data: OutputRepairRequestedData }
  | { type: 'TurnCompleted'; data: TurnCompletedData }
  | { type: 'TurnFailed'; data: TurnFailedData }
  | { type: 'FeedbackRecorded'; data: FeedbackRecordedData };

export type TurnEventType = TurnEvent['type'];

export const turnEventTypes = [
  TurnRequested,
  ContextRetrieved,
  PromptBuilt,
  ModelCallStarted,
  ModelCallCompleted,
  ModelCallFailed,
  ToolCallProposed,
  ToolCallApprovalRequested,
  ToolCallApproved,
  ToolCallRejected,
  ToolCallExecuted,
  ToolCallFailed,
  OutputValidated,
  OutputRepairRequested,
  TurnCompleted,
  TurnFailed,
  FeedbackRecorded,
] as const;
