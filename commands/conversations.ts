import { conversationDecider, type ConversationState } from '../domain/conversation/conversation-decider.js';
import { newId } from '../domain/shared/ids.js';
import { streamId } from '../domain/shared/stream-id.js';
import type { EventStore, StreamAppend } from '../infra/event-store/port.js';
import { decideOnNewStream, handleCommand } from './handle-command.js';

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

export interface OpenedConversation {
  conversationId: string;
  state: ConversationState;
  /** With `deferAppend`: the events still to append, for the caller to commit with its own. */
  unsaved?: StreamAppend;
}

/**
 * Starts a conversation and returns its state too, so a turn requested next need not
 * read it back. `deferAppend` decides the start without writing it, for a caller that
 * commits it together with the conversation's first turn.
 */
export async function openConversation(store: EventStore, input: StartConversationInput, options: { deferAppend?: boolean } = {}): Promise<OpenedConversation> {
  const conversationId = input.conversationId ?? newId();
  const stream = streamId('conversation', conversationId);
  const command = {
    type: 'StartConversation' as const,
    data: {
      conversationId,
      tenantId: input.tenantId,
      userId: input.userId,
      title: input.title,
      promptName: input.promptName,
      metadata: input.metadata,
      now: new Date(),
    },
  };
  const metadata = { tenantId: input.tenantId, userId: input.userId, correlationId: input.correlationId, causationId: input.correlationId };
  if (options.deferAppend && input.conversationId === undefined) {
    const { events, state } = decideOnNewStream(conversationDecider, command, metadata);
    return { conversationId, state, unsaved: { streamId: stream, events, expectedRevision: 'no_stream' } };
  }
  const { state } = await handleCommand(store, stream, conversationDecider, command, { metadata, newStream: input.conversationId === undefined });
  return { conversationId, state };
}
