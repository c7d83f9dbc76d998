import fc from 'fast-check';
import { DomainError } from '../shared/domain-error.js';
import { decide } from './decide-turn.js';
import type { TurnLimits } from './events/turn-requested.js';
import { evolve } from './evolve-turn.js';
import { nextAction } from './next-action.js';
import type { TurnCommand, TurnCommandType } from './turn-command.js';
import type { TurnEvent } from './turn-event.js';
import { after, callingTools, commands, MODEL_TOOL_CALLS, toolCallId } from './turn-fixtures.js';
import { currentToolCalls, initialState, isToolCallSettled, type TurnState } from './turn-state.js';

/* Random but plausible runs of a turn, for the decider's property tests. */

const COMMAND_TYPES: TurnCommandType[] = [
  'RequestTurn',
  'RecordContextRetrieved',
  'RecordPromptBuilt',
  'StartModelCall',
  'CompleteModelCall',
  'FailModelCall',
  'RequestToolApproval',
  'ApproveToolCall',
  'RejectToolCall',
  'RecordToolExecuted',
  'RecordToolFailed',
  'ValidateOutput',
  'CompleteTurn',
  'FailTurn',
  'ExpireTurn',
  'RecordFeedback',
];

export const limitsArbitrary = fc.record({
  maxModelSteps: fc.integer({ min: 1, max: 4 }),
  maxToolCalls: fc.integer({ min: 0, max: 4 }),
  maxOutputTokens: fc.constant(500),
});

/**
 * One move of the pipeline or the API. Most follow `nextAction`, as the pipeline does,
 * so runs reach deep states; the rest are any command at all, as redeliveries and races
 * produce. Time moves forward, now and then by a lot, so deadlines pass too.
 */
export interface Move {
  follow: boolean;
  type: TurnCommandType;
  stepOffset: number;
  pick: number;
  toolCalls: number;
  flag: boolean;
  elapsedSeconds: number;
}

const moveArbitrary: fc.Arbitrary<Move> = fc.record({
  follow: fc.integer({ min: 0, max: 9 }).map((draw) => draw < 7),
  type: fc.constantFrom(...COMMAND_TYPES),
  stepOffset: fc.integer({ min: -1, max: 1 }),
  pick: fc.nat(5),
  toolCalls: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3 })),
  flag: fc.boolean(),
  elapsedSeconds: fc.oneof(
    { arbitrary: fc.integer({ min: 0, max: 3 }), weight: 9 },
    { arbitrary: fc.integer({ min: 10, max: 60 }), weight: 1 },
  ),
});

/** Long enough runs to go round the tool loop a few times; fast-check's default size stops at about ten. */
export const movesArbitrary = fc.array(moveArbitrary, { minLength: 5, maxLength: 60, size: 'max' });

function followedType(move: Move, state: TurnState): TurnCommandType {
  const action = nextAction(state);
  const among = (...types: TurnCommandType[]) => types[move.pick % types.length] ?? move.type;
  switch (action) {
    case 'none':
      return state.status === 'none' ? 'RequestTurn' : among('RecordFeedback', 'ExpireTurn');
    case 'retrieve':
      return 'RecordContextRetrieved';
    case 'build-prompt':
      return 'RecordPromptBuilt';
    case 'call-model':
      return state.status === 'prompt-built' ? 'StartModelCall' : among('CompleteModelCall', 'CompleteModelCall', 'FailModelCall');
    case 'execute-tools':
      return among('RecordToolExecuted', 'RecordToolExecuted', 'RecordToolFailed', 'RejectToolCall', 'RequestToolApproval');
    case 'await-approval':
      return among('ApproveToolCall', 'ApproveToolCall', 'RejectToolCall', 'ExpireTurn');
    case 'validate':
      return 'ValidateOutput';
    case 'complete':
      return 'CompleteTurn';
  }
}

function commandFor(move: Move, state: TurnState, limits: TurnLimits, now: Date): TurnCommand {
  const type = move.follow ? followedType(move, state) : move.type;
  const step = state.status === 'none' ? 1 : state.step;
  const candidates = state.status === 'none' ? [] : move.follow ? currentToolCalls(state) : state.toolCalls;
  const unsettled = candidates.filter((call) => !isToolCallSettled(call));
  const pool = move.follow && unsettled.length > 0 ? unsettled : candidates;
  const toolCall = pool[move.pick % Math.max(1, pool.length)];
  const id = toolCall?.toolCallId ?? toolCallId(step, move.pick);
  const lastCallId = state.status === 'none' ? 'call-none' : (state.modelCalls.at(-1)?.callId ?? 'call-none');
  switch (type) {
    case 'RequestTurn':
      return commands.requestTurn({
        limits,
        mode: move.flag ? 'rag' : 'chat',
        clientTools: move.pick === 0 ? [{ name: MODEL_TOOL_CALLS[0]?.name ?? 'tool', parameters: {} }] : undefined,
        now,
        deadline: after(120),
      });
    case 'RecordContextRetrieved':
      return commands.recordContextRetrieved(move.flag ? [] : undefined);
    case 'RecordPromptBuilt':
      return commands.recordPromptBuilt(Math.max(1, step + 1 + (move.follow ? 0 : move.stepOffset)), now);
    case 'StartModelCall': {
      const command = commands.startModelCall(step, now);
      return { ...command, data: { ...command.data, callId: `call-${step}-${move.pick % 2}` } };
    }
    case 'CompleteModelCall': {
      const command = commands.completeModelCall(step, move.toolCalls > 0 ? callingTools(move.toolCalls) : {}, now);
      return { ...command, data: { ...command.data, callId: lastCallId } };
    }
    case 'FailModelCall': {
      const command = commands.failModelCall(step, now);
      return { ...command, data: { ...command.data, callId: lastCallId } };
    }
    case 'RequestToolApproval':
      return commands.requestToolApproval(id, new Date(now.getTime() + 20_000), now);
    case 'ApproveToolCall':
      return commands.approveToolCall(id, now);
    case 'RejectToolCall':
      return commands.rejectToolCall(id);
    case 'RecordToolExecuted':
      return commands.recordToolExecuted(id);
    case 'RecordToolFailed':
      return commands.recordToolFailed(id);
    case 'ValidateOutput':
      return commands.validateOutput(step, move.pick % 3 === 0 ? ['not JSON'] : [], now);
    case 'CompleteTurn':
      return commands.completeTurn(now);
    case 'FailTurn':
      return commands.failTurn('cancelled', now);
    case 'ExpireTurn':
      return commands.expireTurn(now);
    case 'RecordFeedback':
      return { type: 'RecordFeedback', data: { score: move.flag ? 1 : -1, source: 'user' } };
  }
}

/** Sees every accepted command with the state before it, the events it produced and the state after. */
export type Check = (command: TurnCommand, before: TurnState, produced: TurnEvent[], next: TurnState) => void;

/** Plays the moves against the decider as a command handler would: decide, then fold; refusals append nothing. */
export function play(limits: TurnLimits, moves: readonly Move[], check: Check): TurnEvent[] {
  let state = initialState();
  let now = after(0);
  const written: TurnEvent[] = [];
  for (const move of moves) {
    now = new Date(now.getTime() + move.elapsedSeconds * 1_000);
    const command = commandFor(move, state, limits, now);
    let produced: TurnEvent[];
    try {
      produced = decide(command, state);
    } catch (error) {
      // Refusing is fine; only a typed domain error is a refusal.
      if (!DomainError.isInstance(error)) throw error;
      continue;
    }
    const next = produced.reduce(evolve, state);
    check(command, state, produced, next);
    written.push(...produced);
    state = next;
  }
  return written;
}

