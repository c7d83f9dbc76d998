import { conversationDecider, type ConversationState } from '../domain/conversation/conversation-decider.js';
import { newId } from '../domain/shared/ids.js';
import { streamId } from '../domain/shared/stream-id.js';
import type { EventStore } from '../infra/event-store/port.js';
import { handleCommand } from './handle-command.js';

export interface StartConversationInput {
  tenantId: string;
  userId?: string;
  title?: string;
  promptName?: string;
  metadata?: Record<string, string>;
  /** Supplied by an idempotent retry so the same conversation is addressed. */
  conversationId?: string;
  correlationId: string;
}

export async function startConversation(store: EventStore, input: StartConversationInput): Promise<string> {
  return (await openConversation(store, input)).conversationId;
}

/** Starts a conversation and returns its state too, so a turn requested next need not read it back. */
export async function openConversation(store: EventStore, input: StartConversationInput): Promise<{ conversationId: string; state: ConversationState }> {
  const conversationId = input.conversationId ?? newId();
  const { state } = await handleCommand(
    store,
    streamId('conversation', conversationId),
    conversationDecider,
    {
      type: 'StartConversation',
      data: {
        conversationId,
        tenantId: input.tenantId,
        userId: input.userId,
        title: input.title,
        promptName: input.promptName,
        metadata: input.metadata,
        now: new Date(),
      },
    },
    {
      metadata: { tenantId: input.tenantId, userId: input.userId, correlationId: input.correlationId, causationId: input.correlationId },
      newStream: input.conversationId === undefined,
    },
  );
  return { conversationId, state };
}
