import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createEventRegistry } from '../events/all-event-types.js';
import { decide } from './decide-turn.js';
import { evolve } from './evolve-turn.js';
import { nextAction } from './next-action.js';
import { TurnEndedError } from './turn-errors.js';
import type { TurnEvent } from './turn-event.js';
import { after, callingTools, events, toolCallId } from './turn-fixtures.js';
import { limitsArbitrary, movesArbitrary, play } from './turn-moves.js';
import { initialState, type TurnState } from './turn-state.js';

const registry = createEventRegistry();
/** What an ended turn may still record: outcomes of work that was under way, and feedback. */
const AFTER_THE_END = new Set(['ModelCallCompleted', 'ModelCallFailed', 'ToolCallExecuted', 'ToolCallFailed', 'FeedbackRecorded']);

const count = (written: readonly TurnEvent[], ...types: TurnEvent['type'][]) =>
  written.filter((event) => types.includes(event.type)).length;

const ended = (state: TurnState) => state.status === 'completed' || state.status === 'failed';

describe('turn decider properties', () => {
  it('never passes a bound, ends at most once, and writes only data the schemas accept', () => {
    const reached = new Set<string>();
    fc.assert(
      fc.property(limitsArbitrary, movesArbitrary, (limits, moves) => {
        const written = play(limits, moves, (_command, before, produced, next) => {
          for (const event of produced) registry.encode(event.type, event.data);
          if (ended(before)) expect(produced.filter((event) => !AFTER_THE_END.has(event.type))).toEqual([]);
          reached.add(next.status === 'failed' ? `failed: ${next.failure.reason}` : next.status);
        });
        expect(count(written, 'PromptBuilt')).toBeLessThanOrEqual(limits.maxModelSteps);
        expect(count(written, 'ToolCallProposed')).toBeLessThanOrEqual(limits.maxToolCalls);
        expect(count(written, 'TurnCompleted', 'TurnFailed')).toBeLessThanOrEqual(1);
        expect(count(written, 'TurnRequested')).toBeLessThanOrEqual(1);
      }),
      { numRuns: 400 },
    );
    // The moves must actually drive turns through the whole machine for the above to mean much.
    const statuses = ['requested', 'context-retrieved', 'prompt-built', 'calling-model', 'model-answered', 'awaiting-tools'];
    const failures = ['max-model-steps', 'max-tool-calls', 'deadline-exceeded', 'invalid-output', 'model-call-failed'];
    expect([...reached]).toEqual(
      expect.arrayContaining([...statuses, 'validated', 'repairing', 'completed', ...failures.map((reason) => `failed: ${reason}`)]),
    );
  });

  it('appends nothing when an accepted command is delivered again', () => {
    fc.assert(
      fc.property(limitsArbitrary, movesArbitrary, (limits, moves) => {
        play(limits, moves, (command, _before, produced, next) => {
          if (produced.length === 0) return;
          let again: TurnEvent[] | undefined;
          try {
            again = decide(command, next);
          } catch (error) {
            // Only a command that ended the turn may be refused on its second delivery.
            expect(error).toBeInstanceOf(TurnEndedError);
            expect(ended(next)).toBe(true);
          }
          if (again) expect(again).toEqual([]);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('folds any sequence of turn events without throwing', () => {
    const step = fc.integer({ min: 0, max: 4 });
    const id = fc.tuple(fc.integer({ min: 1, max: 3 }), fc.nat(2)).map(([callStep, index]) => toolCallId(callStep, index));
    const executor = fc.constantFrom('server' as const, 'client' as const);
    const modelCallFailed = (at: number): TurnEvent => ({
      type: 'ModelCallFailed',
      data: { step: at, callId: `call-${at}`, errorKind: 'timeout', message: 'slow', retryable: true, attempts: 1 },
    });
    const eventArbitrary: fc.Arbitrary<TurnEvent> = fc.oneof(
      fc.constantFrom(events.turnRequested(), events.turnRequested({ mode: 'rag' }), events.contextRetrieved([])),
      step.map(events.promptBuilt),
      step.map(events.modelCallStarted),
      fc.tuple(step, fc.nat(3)).map(([at, calls]) => events.modelCallCompleted(at, calls > 0 ? callingTools(calls) : {})),
      step.map(modelCallFailed),
      fc.tuple(step, fc.nat(2), executor).map(([at, index, by]) => events.toolCallProposed(at, index, by)),
      id.map((toolCall) => events.toolCallApprovalRequested(toolCall)),
      id.map(events.toolCallApproved),
      id.map((toolCall) => events.toolCallRejected(toolCall)),
      id.map((toolCall) => events.toolCallExecuted(toolCall)),
      id.map(events.toolCallFailed),
      fc.tuple(step, fc.boolean()).map(([at, valid]) => events.outputValidated(at, valid ? [] : ['bad'])),
      step.map((at) => events.outputRepairRequested(at, ['bad'])),
      fc.constantFrom(events.turnCompleted(after(5)), events.turnFailed('internal-error', 'boom', after(5))),
      fc.constant<TurnEvent>({ type: 'FeedbackRecorded', data: { turnId: 't', score: 0, source: 'grader' } }),
      // Written by a newer build: an older one must load the stream all the same.
      fc.constant({ type: 'SomethingNewer', data: { anything: true } } as unknown as TurnEvent),
    );
    fc.assert(
      fc.property(fc.array(eventArbitrary, { maxLength: 40, size: 'max' }), (sequence) => {
        const state = sequence.reduce(evolve, initialState());
        expect(typeof nextAction(state)).toBe('string');
      }),
      { numRuns: 1_000 },
    );
  });

  it('leaves the state as it is for an event type it does not know', () => {
    const state = [events.turnRequested(), events.promptBuilt(1)].reduce(evolve, initialState());
    expect(evolve(state, { type: 'SomethingNewer', data: {} } as unknown as TurnEvent)).toBe(state);
  });
});
