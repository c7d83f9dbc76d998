import { assertAcceptsTurns, conversationDecider } from '../domain/conversation/conversation-decider.js';
import { ConversationNotFoundError } from '../domain/conversation/conversation-errors.js';
import { newId } from '../domain/shared/ids.js';
import { streamId } from '../domain/shared/stream-id.js';
import type { TurnRequestedData } from '../domain/turn/events/turn-requested.js';
import { turnDecider } from '../domain/turn/decide-turn.js';
import type { RecordFeedback } from '../domain/turn/turn-command.js';
import type { EventStore } from '../infra/event-store/port.js';
import { handleCommand, loadState } from './handle-command.js';

export interface TurnDefaults {
  maxModelSteps: number;
  maxToolCalls: number;
  maxOutputTokens: number;
  /** A turn not finished this long after it was requested ends in TurnFailed. */
  deadlineMs: number;
}

export type RequestTurnInput = Omit<TurnRequestedData, 'turnId' | 'requestedAt' | 'deadline' | 'limits'> & {
  turnId?: string;
  limits?: Partial<TurnRequestedData['limits']>;
  correlationId: string;
  traceparent?: string;
};

/** Appends TurnRequested after checking the conversation belongs to the tenant and takes turns. */
export async function requestTurn(store: EventStore, input: RequestTurnInput, defaults: TurnDefaults): Promise<string> {
  const conversation = await loadState(store, streamId('conversation', input.conversationId), conversationDecider);
  if (conversation.state.status === 'none' || conversation.state.tenantId !== input.tenantId) {
    throw new ConversationNotFoundError(input.conversationId);
  }
  assertAcceptsTurns(conversation.state, input.tenantId);
  const turnId = input.turnId ?? newId();
  const now = new Date();
  const { correlationId, traceparent, turnId: _ignored, limits, ...request } = input;
  await handleCommand(
    store,
    streamId('turn', turnId),
    turnDecider,
    {
      type: 'RequestTurn',
      data: {
        ...request,
        turnId,
        limits: {
          maxModelSteps: limits?.maxModelSteps ?? defaults.maxModelSteps,
          maxToolCalls: limits?.maxToolCalls ?? defaults.maxToolCalls,
          maxOutputTokens: limits?.maxOutputTokens ?? defaults.maxOutputTokens,
        },
        now,
        deadline: new Date(now.getTime() + defaults.deadlineMs),
      },
    },
    { metadata: { tenantId: input.tenantId, userId: input.userId, correlationId, causationId: correlationId, traceparent } },
  );
  return turnId;
}

export async function recordFeedback(
  store: EventStore,
  input: { tenantId: string; turnId: string; correlationId: string; userId?: string } & RecordFeedback['data'],
): Promise<void> {
  const { tenantId, turnId, correlationId, userId, ...feedback } = input;
  await handleCommand(
    store,
    streamId('turn', turnId),
    turnDecider,
    { type: 'RecordFeedback', data: feedback },
    { metadata: { tenantId, userId, correlationId, causationId: correlationId } },
  );
}
