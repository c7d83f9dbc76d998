import { sql, type Transaction } from 'kysely';
import type { RecordedEvent } from '../../domain/events/envelope.js';
import type { ConversationRenamedData, ConversationStartedData } from '../../domain/conversation/conversation-events.js';
import type { TurnCompletedData, TurnFailedData } from '../../domain/turn/events/turn-ended.js';
import type { TurnRequestedData } from '../../domain/turn/events/turn-requested.js';
import { idOf } from '../../domain/shared/stream-id.js';
import type { Projection } from '../projection.js';
import type { ReadModelDatabase } from '../read-model-database.js';
import * as createConversations from './migrations/2026-11-23-0001-create-conversations.js';

type Writer = Transaction<ReadModelDatabase>;

interface ModelCallCompletedUsage {
  usage: { inputTokens: number; outputTokens: number };
  costMicros?: number;
}

/**
 * The conversation view (header, messages, usage) and each turn's status and timeline.
 * Every event of a turn lands on the timeline, so the view explains itself.
 */
export const conversationsProjection: Projection = {
  name: 'conversations',
  version: 1,
  eventTypes: 'all',
  migrations: { '2026-11-23-0001-create-conversations': createConversations },
  tables: ['conversation_messages', 'turns', 'conversations'],
  async apply(transaction, events) {
    for (const event of events) {
      if (event.streamId.startsWith('conversation-')) await applyConversationEvent(transaction, event);
      else if (event.streamId.startsWith('turn-')) await applyTurnEvent(transaction, event);
    }
  },
};

async function applyConversationEvent(db: Writer, event: RecordedEvent): Promise<void> {
  const conversationId = idOf(event.streamId);
  if (event.type === 'ConversationStarted') {
    const data = event.data as ConversationStartedData;
    await db
      .insertInto('conversations')
      .values({
        conversation_id: conversationId,
        tenant_id: data.tenantId,
        user_id: data.userId ?? null,
        title: data.title ?? null,
        status: 'active',
        turn_count: 0,
        input_tokens: '0',
        output_tokens: '0',
        cost_micros: '0',
        started_at: new Date(data.startedAt),
        updated_at: event.occurredAt,
      })
      .onConflict((conflict) => conflict.column('conversation_id').doNothing())
      .execute();
  } else if (event.type === 'ConversationRenamed') {
    const data = event.data as ConversationRenamedData;
    await db.updateTable('conversations').set({ title: data.title, updated_at: event.occurredAt }).where('conversation_id', '=', conversationId).execute();
  } else if (event.type === 'ConversationArchived') {
    await db.updateTable('conversations').set({ status: 'archived', updated_at: event.occurredAt }).where('conversation_id', '=', conversationId).execute();
  }
}

async function applyTurnEvent(db: Writer, event: RecordedEvent): Promise<void> {
  const turnId = idOf(event.streamId);
  if (event.type === 'TurnRequested') {
    const data = event.data as TurnRequestedData;
    await db
      .insertInto('turns')
      .values({
        turn_id: turnId,
        conversation_id: data.conversationId,
        tenant_id: data.tenantId,
        status: 'requested',
        mode: data.mode,
        source: data.source,
        model_calls: 0,
        input_tokens: '0',
        output_tokens: '0',
        cost_micros: '0',
        failure_reason: null,
        requested_at: new Date(data.requestedAt),
        deadline: new Date(data.deadline),
        finished_at: null,
        timeline: JSON.stringify([timelineEntry(event)]),
      })
      .onConflict((conflict) => conflict.column('turn_id').doNothing())
      .execute();
    await db
      .insertInto('conversation_messages')
      .values({ conversation_id: data.conversationId, turn_id: turnId, part: 0, role: 'user', content: data.message, status: 'completed', created_at: new Date(data.requestedAt) })
      .onConflict((conflict) => conflict.columns(['conversation_id', 'turn_id', 'part']).doNothing())
      .execute();
    await db
      .updateTable('conversations')
      .set({ turn_count: sql`turn_count + 1`, updated_at: event.occurredAt })
      .where('conversation_id', '=', data.conversationId)
      .execute();
    return;
  }
  const turn = await db
    .updateTable('turns')
    .set({ timeline: sql`timeline || ${JSON.stringify([timelineEntry(event)])}::jsonb` })
    .where('turn_id', '=', turnId)
    .returning(['conversation_id'])
    .executeTakeFirst();
  if (!turn) return;
  switch (event.type) {
    case 'ModelCallStarted':
      await db.updateTable('turns').set({ status: 'calling-model' }).where('turn_id', '=', turnId).execute();
      return;
    case 'ModelCallCompleted': {
      const { usage, costMicros = 0 } = event.data as ModelCallCompletedUsage;
      const add = {
        input_tokens: sql<string>`input_tokens + ${usage.inputTokens}`,
        output_tokens: sql<string>`output_tokens + ${usage.outputTokens}`,
        cost_micros: sql<string>`cost_micros + ${costMicros}`,
      };
      await db.updateTable('turns').set({ ...add, model_calls: sql`model_calls + 1` }).where('turn_id', '=', turnId).execute();
      await db.updateTable('conversations').set(add).where('conversation_id', '=', turn.conversation_id).execute();
      return;
    }
    case 'TurnCompleted': {
      const data = event.data as TurnCompletedData;
      await finish(db, turnId, turn.conversation_id, 'completed', data.answer, new Date(data.completedAt), null);
      return;
    }
    case 'TurnFailed': {
      const data = event.data as TurnFailedData;
      await finish(db, turnId, turn.conversation_id, 'failed', data.message, new Date(data.failedAt), data.reason);
      return;
    }
  }
}

async function finish(
  db: Writer,
  turnId: string,
  conversationId: string,
  status: 'completed' | 'failed',
  content: string,
  at: Date,
  failureReason: string | null,
): Promise<void> {
  await db.updateTable('turns').set({ status, finished_at: at, failure_reason: failureReason }).where('turn_id', '=', turnId).execute();
  await db
    .insertInto('conversation_messages')
    .values({ conversation_id: conversationId, turn_id: turnId, part: 1, role: 'assistant', content, status, created_at: at })
    .onConflict((conflict) => conflict.columns(['conversation_id', 'turn_id', 'part']).doNothing())
    .execute();
  await db.updateTable('conversations').set({ updated_at: at }).where('conversation_id', '=', conversationId).execute();
}

function timelineEntry(event: RecordedEvent) {
  return { revision: event.revision, type: event.type, at: event.occurredAt.toISOString() };
}
