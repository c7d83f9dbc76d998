import { assertAcceptsTurns, conversationDecider, type ConversationState } from '../domain/conversation/conversation-decider.js';
import { ConversationNotFoundError } from '../domain/conversation/conversation-errors.js';
import { newId } from '../domain/shared/ids.js';
import { streamId } from '../domain/shared/stream-id.js';
import type { TurnRequestedData } from '../domain/turn/events/turn-requested.js';
import { turnDecider } from '../domain/turn/decide-turn.js';
import type { RecordFeedback, TurnCommand } from '../domain/turn/turn-command.js';
import type { NewEvent } from '../domain/events/envelope.js';
import type { TurnState } from '../domain/turn/turn-state.js';
import type { EventStore, StreamAppend } from '../infra/event-store/port.js';
import { decideOnNewStream, handleCommand, loadState } from './handle-command.js';

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

/** A turn just requested: what a driver needs to carry it on without reading it back. */
export interface RequestedTurn {
  turnId: string;
  requested: NewEvent;
  /** Revision of TurnRequested in its stream; -1 while it is not appended yet. */
  revision: number;
  state: TurnState;
  /** Set when the caller asked to defer the append: the driver's first append carries it (and empties this). */
  unsaved?: NewEvent[];
  /** Other streams' events committed with the driver's first append (and emptied by it): the conversation a chat completion starts. */
  alongside?: StreamAppend[];
  /**
   * The turn is appended once, when the drive ends, rather than before and after its
   * model call: for a caller that answers only after that append, so an answer is never
   * given for a turn that is not recorded. A turn whose process dies mid-call is then
   * not recorded at all (nor answered).
   */
  recordWhenEnded?: boolean;
  /** The conversation as the request found it, for the driver's first prompt. */
  conversation?: ConversationState;
  /** With a deferred append: settles once the driver's first append has landed. */
  recorded?: Promise<void>;
  /** Called by the driver when its first append has landed. */
  markRecorded?: () => void;
}

/**
 * Carries a just-requested turn through its steps in the calling process, returning
 * the state it reached: ended, or waiting for what only the pipeline does (tools,
 * approvals), or wherever a concurrent pipeline handler took over.
 */
export interface TurnDriver {
  drive(turn: RequestedTurn): Promise<TurnState>;
}

export interface RequestTurnOptions {
  /** The conversation's state when the caller has it at hand (it just started it). */
  conversation?: ConversationState;
  /**
   * Decide TurnRequested but leave the append to the driver, which writes it with its
   * first steps in one round trip. Only for a caller that answers after the drive: a
   * turn nobody drove is never recorded.
   */
  deferAppend?: boolean;
  /** With `deferAppend`: streams to commit with the turn (see RequestedTurn.alongside). */
  alongside?: StreamAppend[];
  /** With `deferAppend`: see RequestedTurn.recordWhenEnded. */
  recordWhenEnded?: boolean;
}

/** Appends TurnRequested after checking the conversation belongs to the tenant and takes turns. */
export async function requestTurn(store: EventStore, input: RequestTurnInput, defaults: TurnDefaults, options: RequestTurnOptions = {}): Promise<RequestedTurn> {
  const conversation = options.conversation ?? (await loadState(store, streamId('conversation', input.conversationId), conversationDecider)).state;
  if (conversation.status === 'none' || conversation.tenantId !== input.tenantId) {
    throw new ConversationNotFoundError(input.conversationId);
  }
  assertAcceptsTurns(conversation, input.tenantId);
  const turnId = input.turnId ?? newId();
  const now = new Date();
  const { correlationId, traceparent, turnId: _ignored, limits, ...request } = input;
  const command: TurnCommand = {
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
  };
  const metadata = { tenantId: input.tenantId, userId: input.userId, correlationId, causationId: correlationId, traceparent };
  if (options.deferAppend && input.turnId === undefined) {
    const { events, state } = decideOnNewStream(turnDecider, command, metadata);
    const requested = events[0]!;
    let markRecorded!: () => void;
    const recorded = new Promise<void>((resolve) => (markRecorded = resolve));
    return {
      turnId,
      requested,
      revision: -1,
      state,
      unsaved: [requested],
      alongside: options.alongside ? [...options.alongside] : undefined,
      recordWhenEnded: options.recordWhenEnded,
      conversation,
      recorded,
      markRecorded,
    };
  }
  const result = await handleCommand(store, streamId('turn', turnId), turnDecider, command, { metadata, newStream: input.turnId === undefined });
  return { turnId, requested: result.events[0]!, revision: result.nextRevision, state: result.state, conversation };
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
