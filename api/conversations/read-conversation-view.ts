import type { Transaction } from 'kysely';
import type { ReadModelDatabase, ReadModels } from '../../projections/read-model-database.js';
import type { ConversationView } from './conversation-schemas.js';

/**
 * The tenant filter is part of the query: another tenant's conversation does not exist.
 * One snapshot for the header, messages and turns, so a view never shows an answer
 * whose usage it does not count yet.
 */
export async function readConversationView(db: ReadModels, tenantId: string, conversationId: string): Promise<ConversationView | undefined> {
  return db.transaction().setIsolationLevel('repeatable read').execute((snapshot) => readInSnapshot(snapshot, tenantId, conversationId));
}

async function readInSnapshot(db: Transaction<ReadModelDatabase>, tenantId: string, conversationId: string): Promise<ConversationView | undefined> {
  const conversation = await db
    .selectFrom('conversations')
    .selectAll()
    .where('conversation_id', '=', conversationId)
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
  if (!conversation) return undefined;
  const messages = await db
    .selectFrom('conversation_messages as message')
      .innerJoin('turns as turn', 'turn.turn_id', 'message.turn_id')
      .select(['message.turn_id', 'message.role', 'message.content', 'message.status', 'message.created_at'])
      .where('message.conversation_id', '=', conversationId)
      .orderBy('turn.requested_at')
      .orderBy('message.part')
      .execute();
  const turns = await db.selectFrom('turns').selectAll().where('conversation_id', '=', conversationId).orderBy('requested_at').execute();
  return {
    id: conversation.conversation_id,
    title: conversation.title,
    status: conversation.status,
    userId: conversation.user_id,
    turnCount: conversation.turn_count,
    usage: usageOf(conversation),
    startedAt: conversation.started_at.toISOString(),
    updatedAt: conversation.updated_at.toISOString(),
    messages: messages.map((message) => ({
      turnId: message.turn_id,
      role: message.role,
      content: message.content,
      status: message.status,
      createdAt: message.created_at.toISOString(),
    })),
    turns: turns.map((turn) => ({
      id: turn.turn_id,
      status: turn.status,
      usage: usageOf(turn),
      requestedAt: turn.requested_at.toISOString(),
      finishedAt: turn.finished_at?.toISOString() ?? null,
    })),
  };
}

function usageOf(row: { input_tokens: string; output_tokens: string; cost_micros: string }) {
  return { inputTokens: Number(row.input_tokens), outputTokens: Number(row.output_tokens), costMicros: Number(row.cost_micros) };
}
