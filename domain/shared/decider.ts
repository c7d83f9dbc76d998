/** An event as a decider emits it: type and data; the shell adds ids and metadata. */
export interface DomainEvent<Type extends string = string, Data = unknown> {
  type: Type;
  data: Data;
}

/**
 * A pure aggregate: `decide` turns a command and the current state into new events
 * (or throws a typed domain error); `evolve` folds one event into the state.
 */
export interface Decider<Command, State, Event extends DomainEvent> {
  decide(command: Command, state: State): Event[];
  evolve(state: State, event: Event): State;
  initialState: () => State;
}
