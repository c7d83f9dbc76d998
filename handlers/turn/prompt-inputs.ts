import { loadState } from '../../commands/handle-command.js';
import { conversationDecider, type ConversationState } from '../../domain/conversation/conversation-decider.js';
import type { ModelMessage } from '../../domain/prompt/model-message.js';
import { promptDecider } from '../../domain/prompt/prompt-decider.js';
import { DEFAULT_PROMPT_TEMPLATE, type PromptTemplate } from '../../domain/prompt/prompt-template.js';
import { streamId } from '../../domain/shared/stream-id.js';
import type { EventStore } from '../../infra/event-store/port.js';
import type { ReadModels } from '../../projections/read-model-database.js';

/**
 * The conversation's prompt: the latest published version of its name, or the built-in
 * default. `known` is the conversation's state when the caller has just read it.
 */
export async function promptTemplateFor(store: EventStore, conversationId: string, known?: ConversationState): Promise<PromptTemplate> {
  const conversation = known ?? (await loadState(store, streamId('conversation', conversationId), conversationDecider)).state;
  const name = conversation.status === 'none' ? undefined : conversation.promptName;
  if (!name) return DEFAULT_PROMPT_TEMPLATE;
  // `default` may be published over; until then (and for a name never published) the built-in applies.
  const prompt = await loadState(store, streamId('prompt', name), promptDecider);
  if (prompt.state.status !== 'published') return DEFAULT_PROMPT_TEMPLATE;
  const { publishedAt: _publishedAt, ...template } = prompt.state.latest;
  return template;
}

/**
 * Earlier completed exchanges of the conversation, oldest first, from the conversation
 * view. The exact messages sent are recorded in PromptBuilt, so a replay never depends
 * on this read model again.
 */
export async function conversationHistory(db: ReadModels, conversationId: string, excludeTurnId: string): Promise<ModelMessage[]> {
  const rows = await db
    .selectFrom('conversation_messages as message')
    .innerJoin('turns as turn', 'turn.turn_id', 'message.turn_id')
    .select(['message.role', 'message.content', 'message.turn_id'])
    .where('message.conversation_id', '=', conversationId)
    .where('message.turn_id', '!=', excludeTurnId)
    .where('turn.status', '=', 'completed')
    .orderBy('turn.requested_at')
    .orderBy('message.part')
    .execute();
  return rows.map((row) => ({ role: row.role, content: row.content }));
}
