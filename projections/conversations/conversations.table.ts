import type { ColumnType, Insertable, Selectable } from 'kysely';

/** One row per conversation: the header of the conversation view. */
export interface ConversationsTable {
  conversation_id: string;
  tenant_id: string;
  user_id: string | null;
  title: string | null;
  status: 'active' | 'archived';
  turn_count: number;
  input_tokens: string;
  output_tokens: string;
  cost_micros: string;
  started_at: Date;
  updated_at: Date;
}

/** Messages in order: each turn contributes the user message and, once done, the answer. */
export interface ConversationMessagesTable {
  conversation_id: string;
  turn_id: string;
  /** 0 for the user message, 1 for the answer: orders a turn's two rows. */
  part: number;
  role: 'user' | 'assistant';
  content: string;
  status: 'pending' | 'completed' | 'failed';
  created_at: Date;
}

/** Turns with their status and usage, for the conversation view and turn listings. */
export interface TurnsTable {
  turn_id: string;
  conversation_id: string;
  tenant_id: string;
  status: string;
  mode: string;
  source: string;
  model_calls: number;
  input_tokens: string;
  output_tokens: string;
  cost_micros: string;
  failure_reason: string | null;
  requested_at: Date;
  deadline: Date;
  finished_at: Date | null;
  /** jsonb: the timeline of event types and times, appended as events arrive. */
  timeline: ColumnType<TimelineEntry[], string, string>;
}

export interface TimelineEntry {
  revision: number;
  type: string;
  at: string;
}

export type ConversationRow = Selectable<ConversationsTable>;
export type NewConversationRow = Insertable<ConversationsTable>;
export type ConversationMessageRow = Selectable<ConversationMessagesTable>;
export type TurnRow = Selectable<TurnsTable>;
