import { ConversationAlreadyStartedError, ConversationArchivedError, ConversationNotFoundError } from './conversation-errors.js';
import type { ConversationEvent, ConversationStartedData } from './conversation-events.js';

export type StartConversation = {
  type: 'StartConversation';
  data: Omit<ConversationStartedData, 'startedAt'> & { now: Date };
};
export type RenameConversation = { type: 'RenameConversation'; data: { title: string; now: Date } };
export type ArchiveConversation = { type: 'ArchiveConversation'; data: { reason?: string; now: Date } };

export type ConversationCommand = StartConversation | RenameConversation | ArchiveConversation;

type Conversation = Omit<ConversationStartedData, 'startedAt'> & { startedAt: string };

export type ActiveConversation = Conversation & { status: 'active' };
export type ConversationState =
  | { status: 'none' }
  | ActiveConversation
  | (Conversation & { status: 'archived'; archivedAt: string });

export function initialState(): ConversationState {
  return { status: 'none' };
}

export function evolve(state: ConversationState, event: ConversationEvent): ConversationState {
  switch (event.type) {
    case 'ConversationStarted':
      return state.status === 'none' ? { ...event.data, status: 'active' } : state;
    case 'ConversationRenamed':
      return state.status === 'none' ? state : { ...state, title: event.data.title };
    case 'ConversationArchived':
      return state.status === 'active' ? { ...state, status: 'archived', archivedAt: event.data.archivedAt } : state;
    default:
      return state;
  }
}

export function decide(command: ConversationCommand, state: ConversationState): ConversationEvent[] {
  switch (command.type) {
    case 'StartConversation': {
      const { now, ...started } = command.data;
      if (state.status !== 'none') throw new ConversationAlreadyStartedError(state.conversationId);
      return [{ type: 'ConversationStarted', data: { ...started, startedAt: now.toISOString() } }];
    }
    case 'RenameConversation': {
      const conversation = acceptsChanges(state);
      if (conversation.title === command.data.title) return [];
      const { title, now } = command.data;
      const data = { conversationId: conversation.conversationId, title, renamedAt: now.toISOString() };
      return [{ type: 'ConversationRenamed', data }];
    }
    case 'ArchiveConversation': {
      if (state.status === 'none') throw new ConversationNotFoundError();
      if (state.status === 'archived') return [];
      const { reason, now } = command.data;
      const data = { conversationId: state.conversationId, reason, archivedAt: now.toISOString() };
      return [{ type: 'ConversationArchived', data }];
    }
    default:
      return unknownCommand(command);
  }
}

/**
 * Throws unless the conversation may take a new turn: it exists, is not archived and,
 * when `tenantId` is given, belongs to that tenant. Another tenant's conversation is
 * reported as not found, so ids do not reveal what exists elsewhere.
 */
export function assertAcceptsTurns(state: ConversationState, tenantId?: string): asserts state is ActiveConversation {
  acceptsChanges(state, tenantId);
}

export const conversationDecider = { decide, evolve, initialState };

function acceptsChanges(state: ConversationState, tenantId?: string): ActiveConversation {
  if (state.status === 'none') throw new ConversationNotFoundError();
  if (tenantId !== undefined && state.tenantId !== tenantId) throw new ConversationNotFoundError(state.conversationId);
  if (state.status === 'archived') throw new ConversationArchivedError(state.conversationId);
  return state;
}

function unknownCommand(command: never): never {
  throw new Error(`unknown conversation command ${JSON.stringify(command)}`);
}
