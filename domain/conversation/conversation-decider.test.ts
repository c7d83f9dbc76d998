import { describe, expect, it } from 'vitest';
import { createEventRegistry } from '../events/all-event-types.js';
import { deciderSpecification } from '../shared/decider-specification.js';
import { assertAcceptsTurns, conversationDecider, initialState } from './conversation-decider.js';
import { ConversationAlreadyStartedError, ConversationArchivedError, ConversationNotFoundError } from './conversation-errors.js';
import type { ConversationEvent } from './conversation-events.js';

const given = deciderSpecification(conversationDecider);
const now = new Date('2026-03-01T12:00:00.000Z');

const start = {
  type: 'StartConversation' as const,
  data: { conversationId: 'c1', tenantId: 'acme', userId: 'u1', title: 'Refunds', promptName: 'support', metadata: { channel: 'web' }, now },
};
const started: ConversationEvent = {
  type: 'ConversationStarted',
  data: {
    conversationId: 'c1',
    tenantId: 'acme',
    userId: 'u1',
    title: 'Refunds',
    promptName: 'support',
    metadata: { channel: 'web' },
    startedAt: now.toISOString(),
  },
};
const archived: ConversationEvent = { type: 'ConversationArchived', data: { conversationId: 'c1', archivedAt: now.toISOString() } };

describe('conversation', () => {
  describe('when none exists', () => {
    it('starts it', () => {
      given([]).when(start).then([started]);
    });

    it('refuses turns and renames', () => {
      expect(() => assertAcceptsTurns(initialState())).toThrow(ConversationNotFoundError);
      given([]).when({ type: 'RenameConversation', data: { title: 'x', now } }).thenThrows(ConversationNotFoundError);
    });
  });

  describe('when it is active', () => {
    it('refuses to start again', () => {
      given([started]).when(start).thenThrows(ConversationAlreadyStartedError, { code: 'TESSERA_CONVERSATION_EXISTS' });
    });

    it('renames it, and a rename to the same title changes nothing', () => {
      given([started])
        .when({ type: 'RenameConversation', data: { title: 'Refund window', now } })
        .then([{ type: 'ConversationRenamed', data: { conversationId: 'c1', title: 'Refund window', renamedAt: now.toISOString() } }]);
      given([started]).when({ type: 'RenameConversation', data: { title: 'Refunds', now } }).thenNothingHappened();
    });

    it('accepts turns from its own tenant only', () => {
      const state = given([started]).state();
      expect(() => assertAcceptsTurns(state, 'acme')).not.toThrow();
      expect(() => assertAcceptsTurns(state, 'other')).toThrow(ConversationNotFoundError);
    });

    it('archives it', () => {
      given([started]).when({ type: 'ArchiveConversation', data: { now } }).then([archived]);
    });
  });

  it('writes data the registry accepts', () => {
    const registry = createEventRegistry();
    for (const event of [started, archived]) expect(registry.encode(event.type, event.data).data).toEqual(event.data);
  });

  describe('when it is archived', () => {
    it('refuses new turns, naming the conversation', () => {
      expect(() => assertAcceptsTurns(given([started, archived]).state())).toThrow(
        expect.objectContaining({ code: 'TESSERA_CONVERSATION_ARCHIVED', field: 'conversationId' }) as Error,
      );
    });

    it('refuses renames', () => {
      given([started, archived]).when({ type: 'RenameConversation', data: { title: 'x', now } }).thenThrows(ConversationArchivedError);
    });

    it('archives again as a no-op', () => {
      given([started, archived]).when({ type: 'ArchiveConversation', data: { now } }).thenNothingHappened();
    });
  });
});
