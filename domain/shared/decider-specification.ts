import { expect } from 'vitest';

/** The three functions of a decider, as the specification drives them. */
export interface SpecifiedDecider<State, Command, Event> {
  decide(command: Command, state: State): readonly Event[];
  evolve(state: State, event: Event): State;
  initialState(): State;
}

type ErrorClass = abstract new (...args: never[]) => Error;

export interface DeciderOutcome<Event> {
  /** The command produces exactly these events, in this order. */
  then(expected: readonly Event[]): void;
  /** The command repeats what already happened: it produces no event. */
  thenNothingHappened(): void;
  /** The command is refused with this error, whose properties (code, field…) match `expected`. */
  thenThrows(errorClass: ErrorClass, expected?: Record<string, unknown>): void;
}

export interface DeciderGiven<State, Command, Event> {
  when(command: Command): DeciderOutcome<Event>;
  /** The state the given events fold to. */
  state(): State;
}

/**
 * Tests as specifications: `given(events).when(command).then(events)`. The given events
 * are folded with `evolve` from `initialState`, as a command handler would load them,
 * and every outcome also checks that `evolve` takes the new events.
 *
 * @example
 * const given = deciderSpecification(turnDecider);
 * given([turnRequested]).when(recordContextRetrieved).then([contextRetrieved]);
 */
export function deciderSpecification<State, Command, Event>(
  decider: SpecifiedDecider<State, Command, Event>,
): (events?: readonly Event[]) => DeciderGiven<State, Command, Event> {
  const fold = (state: State, events: readonly Event[]) => events.reduce((folded, event) => decider.evolve(folded, event), state);
  return (events = []) => {
    const state = () => fold(decider.initialState(), events);
    return {
      state,
      when(command) {
        const run = () => {
          const before = state();
          const produced = decider.decide(command, before);
          fold(before, produced);
          return produced;
        };
        return {
          then(expected) {
            expect(run()).toEqual(expected);
          },
          thenNothingHappened() {
            expect(run()).toEqual([]);
          },
          thenThrows(errorClass, expected) {
            let thrown: unknown;
            try {
              run();
            } catch (error) {
              thrown = error;
            }
            expect(thrown, 'the command was accepted').toBeInstanceOf(errorClass);
            if (expected) expect(thrown).toMatchObject(expected);
          },
        };
      },
    };
  };
}
