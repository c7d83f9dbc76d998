import type { RecordedEvent } from '../../domain/events/envelope.js';
import type { ConversationRenamedData, ConversationStartedData } from '../../domain/conversation/conversation-events.js';
import { idOf } from '../../domain/shared/stream-id.js';
import type { TurnCompletedData, TurnFailedData } from '../../domain/turn/events/turn-ended.js';
import type { TurnRequestedData } from '../../domain/turn/events/turn-requested.js';
import type { TimelineEntry } from './conversations.table.js';

/** A completion's usage, or a cut stream's estimate (ModelCallFailed carries one only when output was streamed). */
interface ModelCallUsage {
  usage?: { inputTokens: number; outputTokens: number };
  costMicros?: number;
}

/** What a batch changes in one turn it did not start. */
export interface TurnChange {
  entries: TimelineEntry[];
  status?: string;
  modelCalls: number;
  inputTokens: number;
  outputTokens: number;
  costMicros: number;
  finishedAt?: string;
  failureReason?: string | null;
  /** The answer or failure message, shown as the assistant's message. */
  reply?: { content: string; status: 'completed' | 'failed' };
}

/** A change to a conversation's header that a conversation event makes (in batch order). */
export type HeaderChange = { conversationId: string; at: Date } & ({ title: string } | { status: 'archived' });

/**
 * A batch of events folded into the few set-based writes that apply it: rows to
 * insert, and per turn what to add. Applying the plan gives the same tables as
 * applying the events one by one.
 */
export interface ConversationBatchPlan {
  startedConversations: { event: RecordedEvent; data: ConversationStartedData }[];
  headerChanges: HeaderChange[];
  /** New turns with every event of theirs in the batch already folded in. */
  requestedTurns: Map<string, { event: RecordedEvent; data: TurnRequestedData; change: TurnChange }>;
  /** Turns started before this batch. */
  changedTurns: Map<string, TurnChange>;
}

export function planConversationBatch(events: readonly RecordedEvent[]): ConversationBatchPlan {
  const plan: ConversationBatchPlan = { startedConversations: [], headerChanges: [], requestedTurns: new Map(), changedTurns: new Map() };
  for (const event of events) {
    if (event.streamId.startsWith('conversation-')) planConversationEvent(plan, event);
    else if (event.streamId.startsWith('turn-')) planTurnEvent(plan, event);
  }
  return plan;
}

function planConversationEvent(plan: ConversationBatchPlan, event: RecordedEvent): void {
  const conversationId = idOf(event.streamId);
  if (event.type === 'ConversationStarted') plan.startedConversations.push({ event, data: event.data as ConversationStartedData });
  else if (event.type === 'ConversationRenamed') plan.headerChanges.push({ conversationId, at: event.occurredAt, title: (event.data as ConversationRenamedData).title });
  else if (event.type === 'ConversationArchived') plan.headerChanges.push({ conversationId, at: event.occurredAt, status: 'archived' });
}

function planTurnEvent(plan: ConversationBatchPlan, event: RecordedEvent): void {
  const turnId = idOf(event.streamId);
  if (event.type === 'TurnRequested') {
    if (!plan.requestedTurns.has(turnId)) plan.requestedTurns.set(turnId, { event, data: event.data as TurnRequestedData, change: emptyChange() });
    return;
  }
  const change = plan.requestedTurns.get(turnId)?.change ?? changeOf(plan.changedTurns, turnId);
  change.entries.push(timelineEntry(event));
  switch (event.type) {
    case 'ModelCallStarted':
      change.status = 'calling-model';
      return;
    case 'ModelCallCompleted':
    case 'ModelCallFailed': {
      const { usage, costMicros = 0 } = event.data as ModelCallUsage;
      // A failed call the provider billed counts as the ledger counts it; one that sent nothing does not.
      if (!usage) return;
      change.modelCalls += 1;
      change.inputTokens += usage.inputTokens;
      change.outputTokens += usage.outputTokens;
      change.costMicros += costMicros;
      return;
    }
    case 'TurnCompleted': {
      const data = event.data as TurnCompletedData;
      Object.assign(change, { status: 'completed', finishedAt: data.completedAt, failureReason: null, reply: { content: data.answer, status: 'completed' } });
      return;
    }
    case 'TurnFailed': {
      const data = event.data as TurnFailedData;
      Object.assign(change, { status: 'failed', finishedAt: data.failedAt, failureReason: data.reason, reply: { content: data.message, status: 'failed' } });
      return;
    }
  }
}

function changeOf(changes: Map<string, TurnChange>, turnId: string): TurnChange {
  let change = changes.get(turnId);
  if (!change) changes.set(turnId, (change = emptyChange()));
  return change;
}

function emptyChange(): TurnChange {
  return { entries: [], modelCalls: 0, inputTokens: 0, outputTokens: 0, costMicros: 0 };
}

export function timelineEntry(event: RecordedEvent): TimelineEntry {
  return { revision: event.revision, type: event.type, at: event.occurredAt.toISOString() };
}
