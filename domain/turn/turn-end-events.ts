/** The events that end a turn: after one of them, no step of the pipeline is left to run. */
export const TURN_END_EVENT_TYPES: ReadonlySet<string> = new Set(['TurnCompleted', 'TurnFailed']);
