import { sql, type Transaction } from 'kysely';
import type { Projection } from '../projection.js';
import type { ReadModelDatabase } from '../read-model-database.js';
import { planConversationBatch, timelineEntry, type ConversationBatchPlan, type TurnChange } from './conversation-batch.js';
import * as createConversations from './migrations/2026-11-23-0001-create-conversations.js';

type Writer = Transaction<ReadModelDatabase>;

/**
 * The conversation view (header, messages, usage) and each turn's status and timeline.
 * Every event of a turn lands on the timeline, so the view explains itself. A batch
 * is folded first and written in a few set-based statements: the transaction (which
 * holds back every gap-free reader of the log while it is open) stays short however
 * many events the batch has.
 */
export const conversationsProjection: Projection = {
  name: 'conversations',
  // 2: a cut stream's billed estimate (ModelCallFailed with usage) counts in the turn's and conversation's usage.
  version: 2,
  eventTypes: 'all',
  migrations: { '2026-11-23-0001-create-conversations': createConversations },
  tables: ['conversation_messages', 'turns', 'conversations'],
  async apply(transaction, events) {
    const plan = planConversationBatch(events);
    await insertConversations(transaction, plan);
    for (const change of plan.headerChanges) {
      const header = 'title' in change ? { title: change.title } : { status: change.status };
      await transaction.updateTable('conversations').set({ ...header, updated_at: change.at }).where('conversation_id', '=', change.conversationId).execute();
    }
    const conversationOf = new Map<string, string>();
    for (const turn of await insertTurns(transaction, plan)) conversationOf.set(turn.turn_id, turn.conversation_id);
    for (const [turnId, { change }] of plan.requestedTurns) {
      // Already there (its request applied before): the rest of the batch still updates it.
      if (!conversationOf.has(turnId)) plan.changedTurns.set(turnId, change);
    }
    for (const turn of await updateTurns(transaction, plan.changedTurns)) conversationOf.set(turn.turn_id, turn.conversation_id);
    await insertMessages(transaction, plan, conversationOf);
    await updateConversations(transaction, plan, conversationOf);
  },
};

async function insertConversations(db: Writer, plan: ConversationBatchPlan): Promise<void> {
  if (plan.startedConversations.length === 0) return;
  await db
    .insertInto('conversations')
    .values(
      plan.startedConversations.map(({ event, data }) => ({
        conversation_id: data.conversationId,
        tenant_id: data.tenantId,
        user_id: data.userId ?? null,
        title: data.title ?? null,
        status: 'active' as const,
        turn_count: 0,
        input_tokens: '0',
        output_tokens: '0',
        cost_micros: '0',
        started_at: new Date(data.startedAt),
        updated_at: event.occurredAt,
      })),
    )
    .onConflict((conflict) => conflict.column('conversation_id').doNothing())
    .execute();
}

/** New turns, each already holding what the rest of the batch did to it. Returns the ones inserted. */
async function insertTurns(db: Writer, plan: ConversationBatchPlan): Promise<{ turn_id: string; conversation_id: string }[]> {
  if (plan.requestedTurns.size === 0) return [];
  return db
    .insertInto('turns')
    .values(
      [...plan.requestedTurns].map(([turnId, { event, data, change }]) => ({
        turn_id: turnId,
        conversation_id: data.conversationId,
        tenant_id: data.tenantId,
        status: change.status ?? 'requested',
        mode: data.mode,
        source: data.source,
        model_calls: change.modelCalls,
        input_tokens: String(change.inputTokens),
        output_tokens: String(change.outputTokens),
        cost_micros: String(change.costMicros),
        failure_reason: change.failureReason ?? null,
        requested_at: new Date(data.requestedAt),
        deadline: new Date(data.deadline),
        finished_at: change.finishedAt ? new Date(change.finishedAt) : null,
        timeline: JSON.stringify([timelineEntry(event), ...change.entries]),
      })),
    )
    .onConflict((conflict) => conflict.column('turn_id').doNothing())
    .returning(['turn_id', 'conversation_id'])
    .execute();
}

/** Turns started before the batch: one statement for all of them. Turns never seen are left alone. */
async function updateTurns(db: Writer, changes: Map<string, TurnChange>): Promise<{ turn_id: string; conversation_id: string }[]> {
  if (changes.size === 0) return [];
  const rows = [...changes].map(([turnId, change]) => ({
    turn_id: turnId,
    entries: change.entries,
    status: change.status ?? null,
    model_calls: change.modelCalls,
    input_tokens: change.inputTokens,
    output_tokens: change.outputTokens,
    cost_micros: change.costMicros,
    finished_at: change.finishedAt ?? null,
    finishes: change.finishedAt !== undefined,
    failure_reason: change.failureReason ?? null,
  }));
  const { rows: updated } = await sql<{ turn_id: string; conversation_id: string }>`
    update turns as t set
      timeline = t.timeline || v.entries,
      status = coalesce(v.status, t.status),
      model_calls = t.model_calls + v.model_calls,
      input_tokens = t.input_tokens + v.input_tokens,
      output_tokens = t.output_tokens + v.output_tokens,
      cost_micros = t.cost_micros + v.cost_micros,
      finished_at = case when v.finishes then v.finished_at else t.finished_at end,
      failure_reason = case when v.finishes then v.failure_reason else t.failure_reason end
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as v(
      turn_id text, entries jsonb, status text, model_calls integer, input_tokens bigint, output_tokens bigint,
      cost_micros bigint, finished_at timestamptz, finishes boolean, failure_reason text)
    where t.turn_id = v.turn_id
    returning t.turn_id, t.conversation_id`.execute(db);
  return updated;
}

async function insertMessages(db: Writer, plan: ConversationBatchPlan, conversationOf: Map<string, string>): Promise<void> {
  const messages = [];
  for (const [turnId, { data }] of plan.requestedTurns) {
    if (!conversationOf.has(turnId)) continue;
    messages.push({ conversation_id: data.conversationId, turn_id: turnId, part: 0, role: 'user' as const, content: data.message, status: 'completed' as const, created_at: new Date(data.requestedAt) });
  }
  const replies = [...plan.requestedTurns].map(([turnId, { change }]) => [turnId, change] as const).concat([...plan.changedTurns]);
  for (const [turnId, change] of replies) {
    const conversationId = conversationOf.get(turnId);
    if (!conversationId || !change.reply || !change.finishedAt) continue;
    messages.push({ conversation_id: conversationId, turn_id: turnId, part: 1, role: 'assistant' as const, content: change.reply.content, status: change.reply.status, created_at: new Date(change.finishedAt) });
  }
  if (messages.length === 0) return;
  await db
    .insertInto('conversation_messages')
    .values(messages)
    .onConflict((conflict) => conflict.columns(['conversation_id', 'turn_id', 'part']).doNothing())
    .execute();
}

/** Turn counts, usage and the time of the latest exchange, summed per conversation. */
async function updateConversations(db: Writer, plan: ConversationBatchPlan, conversationOf: Map<string, string>): Promise<void> {
  const totals = new Map<string, { turns: number; input: number; output: number; cost: number; updatedAt: string | null }>();
  const add = (turnId: string, turns: number, change: TurnChange, requestedAt?: Date) => {
    const conversationId = conversationOf.get(turnId);
    if (!conversationId) return;
    const total = totals.get(conversationId) ?? { turns: 0, input: 0, output: 0, cost: 0, updatedAt: null };
    total.turns += turns;
    total.input += change.inputTokens;
    total.output += change.outputTokens;
    total.cost += change.costMicros;
    for (const at of [requestedAt?.toISOString(), change.finishedAt]) if (at && (!total.updatedAt || at > total.updatedAt)) total.updatedAt = at;
    totals.set(conversationId, total);
  };
  for (const [turnId, { event, change }] of plan.requestedTurns) add(turnId, 1, change, event.occurredAt);
  for (const [turnId, change] of plan.changedTurns) add(turnId, 0, change);
  if (totals.size === 0) return;
  const rows = [...totals].map(([conversationId, { updatedAt, ...total }]) => ({ conversation_id: conversationId, updated_at: updatedAt, ...total }));
  await sql`
    update conversations as c set
      turn_count = c.turn_count + v.turns,
      input_tokens = c.input_tokens + v.input,
      output_tokens = c.output_tokens + v.output,
      cost_micros = c.cost_micros + v.cost,
      updated_at = greatest(c.updated_at, coalesce(v.updated_at, c.updated_at))
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as v(conversation_id text, turns integer, input bigint, output bigint, cost bigint, updated_at timestamptz)
    where c.conversation_id = v.conversation_id`.execute(db);
}
