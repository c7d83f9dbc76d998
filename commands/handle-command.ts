import type { EventMetadataInput, NewEvent, RecordedEvent } from '../domain/events/envelope.js';
import type { Decider, DomainEvent } from '../domain/shared/decider.js';
import { deterministicId, newId, type EventId } from '../domain/shared/ids.js';
import type { StreamId } from '../domain/shared/stream-id.js';
import { StreamRevisionConflictError } from '../infra/event-store/errors.js';
import type { EventStore } from '../infra/event-store/port.js';

export interface CommandContext {
  metadata: Omit<EventMetadataInput, 'schemaVersion'>;
  /**
   * When set, event ids derive from (causation id, step, index): a handler that runs
   * twice for one message appends the same ids, which the store turns into a no-op.
   */
  step?: string;
  /** The stream id was just made up, so the stream cannot exist yet: the first attempt skips reading it. */
  newStream?: boolean;
}

export interface CommandResult<State> {
  state: State;
  events: NewEvent[];
  nextRevision: number;
}

const MAX_ATTEMPTS = 5;

/**
 * Load → decide → append with the expected revision. Only a revision conflict is
 * retried (with the stream re-read); every other error reaches the caller untouched.
 */
export async function handleCommand<Command, State, Event extends DomainEvent>(
  store: EventStore,
  streamId: StreamId,
  decider: Decider<Command, State, Event>,
  command: Command,
  context: CommandContext,
): Promise<CommandResult<State>> {
  for (let attempt = 1; ; attempt += 1) {
    const { events: history, currentRevision } =
      context.newStream && attempt === 1 ? { events: [], currentRevision: -1 } : await store.readStream(streamId);
    const state = foldEvents(decider, history);
    const decided = decideFrom(decider, command, state, context);
    if (decided.events.length === 0) return { state, events: [], nextRevision: currentRevision };
    try {
      const result = await store.appendToStream(streamId, decided.events, {
        expectedRevision: currentRevision === -1 ? 'no_stream' : currentRevision,
      });
      return { state: decided.state, events: decided.events, nextRevision: result.nextRevision };
    } catch (error) {
      if (!(error instanceof StreamRevisionConflictError) || attempt >= MAX_ATTEMPTS) throw error;
    }
  }
}

/**
 * What a command decides on a stream that does not exist yet, without appending it:
 * for a caller that commits the events later, with others.
 */
export function decideOnNewStream<Command, State, Event extends DomainEvent>(
  decider: Decider<Command, State, Event>,
  command: Command,
  metadata: CommandContext['metadata'],
): { events: NewEvent[]; state: State } {
  return decideFrom(decider, command, decider.initialState(), { metadata });
}

/** The events a command decides on a state, with their ids, and the state they lead to. */
function decideFrom<Command, State, Event extends DomainEvent>(
  decider: Decider<Command, State, Event>,
  command: Command,
  state: State,
  context: Pick<CommandContext, 'metadata' | 'step'>,
): { events: NewEvent[]; state: State } {
  const decided = decider.decide(command, state);
  return {
    events: decided.map((event, index): NewEvent => ({
      id: context.step ? deterministicId<EventId>(context.metadata.causationId, `${context.step}#${index}`) : newId<EventId>(),
      type: event.type,
      data: event.data,
      metadata: context.metadata,
    })),
    state: decided.reduce((current, event) => decider.evolve(current, event), state),
  };
}

/** Folds a stream into its current state. */
export async function loadState<Command, State, Event extends DomainEvent>(
  store: EventStore,
  streamId: StreamId,
  decider: Decider<Command, State, Event>,
): Promise<{ state: State; revision: number }> {
  const { events, currentRevision } = await store.readStream(streamId);
  return {
    state: foldEvents(decider, events),
    revision: currentRevision,
  };
}

/** The state a decider reaches from its initial state through recorded events. */
export function foldEvents<Command, State, Event extends DomainEvent>(
  decider: Decider<Command, State, Event>,
  events: readonly RecordedEvent[],
): State {
  return events.reduce((current, event) => decider.evolve(current, event as unknown as Event), decider.initialState());
}
