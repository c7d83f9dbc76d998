import { describe, expect, it } from 'vitest';
import { deciderSpecification } from '../shared/decider-specification.js';
import { turnDecider } from './decide-turn.js';
import { nextAction } from './next-action.js';
import { InvalidTurnCommandError } from './turn-errors.js';
import { after, CHUNK, commands, events, histories, REQUESTED_AT, TURN_ID, USAGE } from './turn-fixtures.js';

const given = deciderSpecification(turnDecider);

describe('turn: the happy path', () => {
  describe('when no turn exists', () => {
    it('records the request with its deadline and limits', () => {
      given([]).when(commands.requestTurn()).then([events.turnRequested()]);
    });

    it('refuses a deadline that is not after the request', () => {
      given([])
        .when(commands.requestTurn({ deadline: REQUESTED_AT }))
        .thenThrows(InvalidTurnCommandError, { code: 'TESSERA_INVALID_TURN_COMMAND', field: 'deadline' });
    });

    it('refuses an empty message unless the client sent its own messages', () => {
      given([]).when(commands.requestTurn({ message: '  ' })).thenThrows(InvalidTurnCommandError, { field: 'message' });
      const clientMessages = [{ role: 'tool' as const, content: '18°C', toolCallId: 'call_a' }];
      given([])
        .when(commands.requestTurn({ message: '', clientMessages, source: 'openai-compatible' }))
        .then([events.turnRequested({ message: '', clientMessages, source: 'openai-compatible' })]);
    });
  });

  describe('when a chat turn was requested', () => {
    it('goes straight to building the prompt', () => {
      expect(nextAction(given([events.turnRequested()]).state())).toBe('build-prompt');
    });

    it('records the first prompt as step 1', () => {
      given([events.turnRequested()]).when(commands.recordPromptBuilt(1)).then([events.promptBuilt(1)]);
    });
  });

  describe('when a rag turn was requested', () => {
    const requested = [events.turnRequested({ mode: 'rag' })];

    it('retrieves before anything else', () => {
      expect(nextAction(given(requested).state())).toBe('retrieve');
    });

    it('records what retrieval found, even nothing', () => {
      given(requested).when(commands.recordContextRetrieved()).then([events.contextRetrieved()]);
      given(requested).when(commands.recordContextRetrieved([])).then([events.contextRetrieved([])]);
    });

    it('then builds the prompt', () => {
      const retrieved = [...requested, events.contextRetrieved([CHUNK])];
      expect(nextAction(given(retrieved).state())).toBe('build-prompt');
      given(retrieved).when(commands.recordPromptBuilt(1)).then([events.promptBuilt(1)]);
    });
  });

  describe('when the prompt was built', () => {
    const built = [events.turnRequested(), events.promptBuilt(1)];

    it('starts the model call', () => {
      expect(nextAction(given(built).state())).toBe('call-model');
      given(built).when(commands.startModelCall(1)).then([events.modelCallStarted(1)]);
    });
  });

  describe('when the model is being called', () => {
    const calling = [events.turnRequested(), events.promptBuilt(1), events.modelCallStarted(1)];

    it('records the answer', () => {
      given(calling).when(commands.completeModelCall(1)).then([events.modelCallCompleted(1)]);
    });

    it('fails the turn when the gateway gives up', () => {
      given(calling)
        .when(commands.failModelCall(1))
        .then([
          {
            type: 'ModelCallFailed',
            data: { step: 1, callId: 'call-1', errorKind: 'server', message: 'upstream 503', retryable: true, attempts: 3 },
          },
          events.turnFailed('model-call-failed', 'upstream 503', after(2)),
        ]);
    });
  });

  describe('when the model answered', () => {
    it('validates the answer', () => {
      expect(nextAction(given(histories.chatAnswered()).state())).toBe('validate');
      given(histories.chatAnswered()).when(commands.validateOutput(1)).then([events.outputValidated(1)]);
    });
  });

  describe('when the answer is valid', () => {
    const validated = [...histories.chatAnswered(), events.outputValidated(1)];

    it('completes with the answer and the usage of every call', () => {
      expect(nextAction(given(validated).state())).toBe('complete');
      given(validated).when(commands.completeTurn(after(4))).then([events.turnCompleted(after(4), { usage: USAGE })]);
    });
  });

  describe('when the turn completed', () => {
    const completed = [...histories.chatAnswered(), events.outputValidated(1), events.turnCompleted(after(4))];

    it('leaves nothing to do', () => {
      expect(nextAction(given(completed).state())).toBe('none');
    });

    it('records feedback on the answer, once', () => {
      const feedback = { score: 1, source: 'user' as const };
      const recorded = { type: 'FeedbackRecorded' as const, data: { ...feedback, turnId: TURN_ID } };
      given(completed).when({ type: 'RecordFeedback', data: feedback }).then([recorded]);
      given([...completed, recorded]).when({ type: 'RecordFeedback', data: feedback }).thenNothingHappened();
    });
  });
});
