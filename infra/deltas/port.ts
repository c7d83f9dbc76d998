/**
 * Token deltas of a model call in flight. They are not events in the log (the full
 * output is recorded once in ModelCallCompleted); they live a short while so clients
 * can stream and resume with Last-Event-ID.
 */
export interface TurnDelta {
  turnId: string;
  /** Step × 1,000,000 + 1, + 2, … : rising across a turn's model steps; resuming clients skip what they saw. */
  sequence: number;
  step: number;
  part:
    | { type: 'text-delta'; text: string }
    | { type: 'tool-call-start'; index: number; id: string; name: string }
    | { type: 'tool-call-delta'; index: number; argumentsDelta: string };
}

export interface DeltaChannel {
  /** Publishes one delta; a repeated (turnId, sequence) is dropped. */
  publish(delta: TurnDelta): Promise<void>;
  /** The deltas of a turn retained now after `afterSequence`, and no more. */
  replay(turnId: string, afterSequence: number): Promise<TurnDelta[]>;
  /** Deltas of a turn still retained after `afterSequence`, then live ones, until `signal` aborts. */
  follow(turnId: string, afterSequence: number, signal: AbortSignal): AsyncIterable<TurnDelta>;
  close(): Promise<void>;
}

const SEQUENCES_PER_STEP = 1_000_000;

/** True when `next` is the delta right after `previous`: the following one of its step, or the first of a later step. */
export function followsDirectly(previous: number, next: number): boolean {
  if (next === previous + 1) return true;
  return next % SEQUENCES_PER_STEP === 1 && Math.floor(next / SEQUENCES_PER_STEP) > Math.floor(previous / SEQUENCES_PER_STEP);
}
