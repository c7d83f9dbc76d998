import { DomainError } from '../shared/domain-error.js';

export class ConversationAlreadyStartedError extends DomainError {
  constructor(readonly conversationId: string) {
    super('TESSERA_CONVERSATION_EXISTS', `conversation ${conversationId} has already started`, 'conversationId');
  }
}

/** Also what another tenant sees, so that ids do not reveal which conversations exist. */
export class ConversationNotFoundError extends DomainError {
  constructor(readonly conversationId?: string) {
    const which = conversationId === undefined ? 'the conversation' : `conversation ${conversationId}`;
    super('TESSERA_CONVERSATION_NOT_FOUND', `${which} was not found`, 'conversationId');
  }
}

export class ConversationArchivedError extends DomainError {
  constructor(readonly conversationId: string) {
    super('TESSERA_CONVERSATION_ARCHIVED', `conversation ${conversationId} is archived`, 'conversationId');
  }
}
