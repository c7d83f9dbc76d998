import type { ModelToolCall } from '../prompt/model-message.js';
import { toolCallIdFor } from './decide/model-calls.js';
import type { TurnFailureReason } from './events/turn-ended.js';
import type { RequestTurn, TurnCommand } from './turn-command.js';
import type { TurnEvent } from './turn-event.js';

/* Events and commands of one example turn, for the turn's specifications. */

type DataOf<Type extends TurnEvent['type']> = Extract<TurnEvent, { type: Type }>['data'];
type CommandOf<Type extends TurnCommand['type']> = Extract<TurnCommand, { type: Type }>;

export const TURN_ID = '0193b0a4-7d3e-7c55-b9a1-2f1f0c3d4e5f';
export const REQUESTED_AT = new Date('2026-03-01T12:00:00.000Z');
export const DEADLINE = new Date('2026-03-01T12:02:00.000Z');
export const LIMITS = { maxModelSteps: 3, maxToolCalls: 3, maxOutputTokens: 500 };
export const USAGE = { inputTokens: 100, outputTokens: 20, cachedInputTokens: 0 };
export const CHUNK = { docId: 'document-7', label: 'doc_1', text: 'Refunds within 30 days.', score: 0.82, source: 'policy.md' };
export const MODEL_TOOL_CALLS: readonly ModelToolCall[] = [
  { id: 'call_a', name: 'lookup_order', arguments: '{"orderId":"42"}' },
  { id: 'call_b', name: 'refund_order', arguments: '{"orderId":"42"}' },
  { id: 'call_c', name: 'notify_customer', arguments: '{}' },
];

/** A moment `seconds` after the request (the deadline is 120 s after it). */
export const after = (seconds: number) => new Date(REQUESTED_AT.getTime() + seconds * 1_000);
export const callId = (step: number) => `call-${step}`;
export const toolCallId = (step: number, index = 0) => toolCallIdFor(TURN_ID, step, index);

const request = {
  turnId: TURN_ID,
  conversationId: 'conversation-1',
  tenantId: 'tenant-1',
  userId: 'user-1',
  message: 'How long do I have to ask for a refund?',
  mode: 'chat' as const,
  stream: true,
  limits: LIMITS,
  source: 'api' as const,
};

const modelCall = (step: number) => ({
  step,
  callId: callId(step),
  alias: 'chat/default',
  provider: 'local',
  modelId: 'local-extractive',
});

const prompt = (step: number): DataOf<'PromptBuilt'> => ({
  step,
  promptName: 'default',
  promptVersion: 0,
  messages: [{ role: 'user', content: request.message }],
  tools: [],
  parameters: { maxOutputTokens: LIMITS.maxOutputTokens },
  estimatedInputTokens: 12,
});

const completion = (step: number, overrides: Partial<DataOf<'ModelCallCompleted'>> = {}): DataOf<'ModelCallCompleted'> => ({
  step,
  callId: callId(step),
  text: 'You have 30 days [doc_1].',
  toolCalls: [],
  finishReason: 'stop',
  usage: USAGE,
  latencyMs: 640,
  provider: 'local',
  modelId: 'local-extractive',
  responseModelId: 'local-extractive',
  ...overrides,
});

/** The model's answer at `step` calls the first `count` example tools. */
export const callingTools = (count: number): Partial<DataOf<'ModelCallCompleted'>> => ({
  text: '',
  toolCalls: MODEL_TOOL_CALLS.slice(0, count),
  finishReason: 'tool-calls',
});

export const events = {
  turnRequested: (overrides: Partial<DataOf<'TurnRequested'>> = {}): TurnEvent => ({
    type: 'TurnRequested',
    data: { ...request, requestedAt: REQUESTED_AT.toISOString(), deadline: DEADLINE.toISOString(), ...overrides },
  }),
  contextRetrieved: (chunks = [CHUNK]): TurnEvent => ({ type: 'ContextRetrieved', data: { query: request.message, chunks } }),
  promptBuilt: (step: number): TurnEvent => ({ type: 'PromptBuilt', data: prompt(step) }),
  modelCallStarted: (step: number): TurnEvent => ({
    type: 'ModelCallStarted',
    data: { ...modelCall(step), startedAt: after(step).toISOString() },
  }),
  modelCallCompleted: (step: number, overrides: Partial<DataOf<'ModelCallCompleted'>> = {}): TurnEvent => ({
    type: 'ModelCallCompleted',
    data: completion(step, overrides),
  }),
  toolCallProposed: (step: number, index = 0, executor: 'server' | 'client' = 'server'): TurnEvent => {
    const call = MODEL_TOOL_CALLS[index] ?? { id: `call_${index}`, name: 'tool', arguments: '{}' };
    const data = { step, toolCallId: toolCallId(step, index), providerToolCallId: call.id, name: call.name, arguments: call.arguments };
    return { type: 'ToolCallProposed', data: { ...data, executor } };
  },
  toolCallApprovalRequested: (id: string, deadline = after(60)): TurnEvent => ({
    type: 'ToolCallApprovalRequested',
    data: { toolCallId: id, reason: 'refunds need a person', deadline: deadline.toISOString() },
  }),
  toolCallApproved: (id: string): TurnEvent => ({ type: 'ToolCallApproved', data: { toolCallId: id, approvedBy: 'agent-9' } }),
  toolCallRejected: (id: string, reason = 'not allowed'): TurnEvent => ({ type: 'ToolCallRejected', data: { toolCallId: id, reason } }),
  toolCallExecuted: (id: string, result = '{"status":"shipped"}'): TurnEvent => ({
    type: 'ToolCallExecuted',
    data: { toolCallId: id, result, durationMs: 35 },
  }),
  toolCallFailed: (id: string): TurnEvent => ({ type: 'ToolCallFailed', data: { toolCallId: id, error: 'upstream timed out' } }),
  outputValidated: (step: number, problems: string[] = []): TurnEvent => ({
    type: 'OutputValidated',
    data: { step, valid: problems.length === 0, problems },
  }),
  outputRepairRequested: (step: number, problems: string[]): TurnEvent => ({ type: 'OutputRepairRequested', data: { step, problems } }),
  turnCompleted: (at: Date, overrides: Partial<DataOf<'TurnCompleted'>> = {}): TurnEvent => ({
    type: 'TurnCompleted',
    data: { answer: 'You have 30 days [doc_1].', finishReason: 'stop', usage: USAGE, completedAt: at.toISOString(), ...overrides },
  }),
  turnFailed: (reason: TurnFailureReason, message: string, at: Date): TurnEvent => ({
    type: 'TurnFailed',
    data: { reason, message, failedAt: at.toISOString() },
  }),
};

export const commands = {
  requestTurn: (overrides: Partial<RequestTurn['data']> = {}): RequestTurn => ({
    type: 'RequestTurn',
    data: { ...request, now: REQUESTED_AT, deadline: DEADLINE, ...overrides },
  }),
  recordContextRetrieved: (chunks = [CHUNK]): CommandOf<'RecordContextRetrieved'> => ({
    type: 'RecordContextRetrieved',
    data: { query: request.message, chunks },
  }),
  recordPromptBuilt: (step: number, now = after(step)): CommandOf<'RecordPromptBuilt'> => ({
    type: 'RecordPromptBuilt',
    data: { ...prompt(step), now },
  }),
  startModelCall: (step: number, now = after(step)): CommandOf<'StartModelCall'> => ({
    type: 'StartModelCall',
    data: { ...modelCall(step), now },
  }),
  completeModelCall: (
    step: number,
    overrides: Partial<DataOf<'ModelCallCompleted'>> = {},
    now = after(step + 1),
  ): CommandOf<'CompleteModelCall'> => ({ type: 'CompleteModelCall', data: { ...completion(step, overrides), now } }),
  failModelCall: (step: number, now = after(step + 1)): CommandOf<'FailModelCall'> => ({
    type: 'FailModelCall',
    data: { step, callId: callId(step), errorKind: 'server', message: 'upstream 503', retryable: true, attempts: 3, now },
  }),
  requestToolApproval: (id: string, deadline = after(60), now = after(5)): CommandOf<'RequestToolApproval'> => ({
    type: 'RequestToolApproval',
    data: { toolCallId: id, reason: 'refunds need a person', deadline, now },
  }),
  approveToolCall: (id: string, now = after(10)): CommandOf<'ApproveToolCall'> => ({
    type: 'ApproveToolCall',
    data: { toolCallId: id, approvedBy: 'agent-9', now },
  }),
  rejectToolCall: (id: string, reason = 'not allowed'): CommandOf<'RejectToolCall'> => ({
    type: 'RejectToolCall',
    data: { toolCallId: id, reason },
  }),
  recordToolExecuted: (id: string, result = '{"status":"shipped"}'): CommandOf<'RecordToolExecuted'> => ({
    type: 'RecordToolExecuted',
    data: { toolCallId: id, result, durationMs: 35 },
  }),
  recordToolFailed: (id: string): CommandOf<'RecordToolFailed'> => ({
    type: 'RecordToolFailed',
    data: { toolCallId: id, error: 'upstream timed out' },
  }),
  validateOutput: (step: number, problems: string[] = [], now = after(step + 2)): CommandOf<'ValidateOutput'> => ({
    type: 'ValidateOutput',
    data: { step, valid: problems.length === 0, problems, now },
  }),
  completeTurn: (now: Date): CommandOf<'CompleteTurn'> => ({ type: 'CompleteTurn', data: { now } }),
  failTurn: (reason: TurnFailureReason, now: Date): CommandOf<'FailTurn'> => ({
    type: 'FailTurn',
    data: { reason, message: 'stopped', now },
  }),
  expireTurn: (now: Date): CommandOf<'ExpireTurn'> => ({ type: 'ExpireTurn', data: { now } }),
};

/** Event histories the specifications start from. */
export const histories = {
  chatAnswered: (): TurnEvent[] => [
    events.turnRequested(),
    events.promptBuilt(1),
    events.modelCallStarted(1),
    events.modelCallCompleted(1),
  ],
  /** Step 1 proposed `count` server tool calls. */
  toolsProposed: (count = 1): TurnEvent[] => [
    events.turnRequested(),
    events.promptBuilt(1),
    events.modelCallStarted(1),
    events.modelCallCompleted(1, callingTools(count)),
    ...Array.from({ length: count }, (_, index) => events.toolCallProposed(1, index)),
  ],
};
