import { describe, expect, it } from 'vitest';
import { deciderSpecification } from '../shared/decider-specification.js';
import { turnDecider } from './decide-turn.js';
import { nextAction } from './next-action.js';
import { InvalidTurnCommandError, TurnStepMismatchError } from './turn-errors.js';
import { after, commands, events, histories, USAGE } from './turn-fixtures.js';

const given = deciderSpecification(turnDecider);
const problems = ['the answer is not valid JSON'];

describe('turn: validation and repair', () => {
  describe('when the answer fails validation and steps are left', () => {
    it('asks for a repair in the same decision', () => {
      given(histories.chatAnswered())
        .when(commands.validateOutput(1, problems))
        .then([events.outputValidated(1, problems), events.outputRepairRequested(1, problems)]);
    });

    it('refuses an invalid verdict that names no problem', () => {
      const verdict = commands.validateOutput(1);
      verdict.data.valid = false;
      given(histories.chatAnswered()).when(verdict).thenThrows(InvalidTurnCommandError, { field: 'problems' });
    });

    it('refuses a verdict on another step', () => {
      given(histories.chatAnswered()).when(commands.validateOutput(2)).thenThrows(TurnStepMismatchError, { field: 'step' });
    });
  });

  describe('when a repair was requested', () => {
    const repairing = [...histories.chatAnswered(), events.outputValidated(1, problems), events.outputRepairRequested(1, problems)];

    it('builds the next step', () => {
      expect(nextAction(given(repairing).state())).toBe('build-prompt');
      given(repairing).when(commands.recordPromptBuilt(2)).then([events.promptBuilt(2)]);
    });

    it('completes with the repaired answer once it validates', () => {
      const repaired = [
        ...repairing,
        events.promptBuilt(2),
        events.modelCallStarted(2),
        events.modelCallCompleted(2, { text: '{"days":30}' }),
      ];
      given(repaired).when(commands.validateOutput(2)).then([events.outputValidated(2)]);
      const usage = { inputTokens: 2 * USAGE.inputTokens, outputTokens: 2 * USAGE.outputTokens, cachedInputTokens: 0 };
      given([...repaired, events.outputValidated(2)])
        .when(commands.completeTurn(after(9)))
        .then([events.turnCompleted(after(9), { answer: '{"days":30}', usage })]);
    });
  });

  describe('when the answer of an OpenAI-compatible call fails validation', () => {
    const answered = [
      events.turnRequested({ source: 'openai-compatible' }),
      events.promptBuilt(1),
      events.modelCallStarted(1),
      events.modelCallCompleted(1, { text: 'not JSON', finishReason: 'length' }),
    ];

    it('records what validation found and delivers the answer as the model gave it, asking the model nothing more', () => {
      given(answered).when(commands.validateOutput(1, problems)).then([events.outputValidated(1, problems)]);
      const validated = [...answered, events.outputValidated(1, problems)];
      expect(nextAction(given(validated).state())).toBe('complete');
      given(validated)
        .when(commands.completeTurn(after(9)))
        .then([events.turnCompleted(after(9), { answer: 'not JSON', finishReason: 'length' })]);
    });
  });

  describe('when the answer fails validation at the last step allowed', () => {
    const lastStep = [
      events.turnRequested({ limits: { maxModelSteps: 1, maxToolCalls: 0, maxOutputTokens: 500 } }),
      events.promptBuilt(1),
      events.modelCallStarted(1),
      events.modelCallCompleted(1),
    ];

    it('fails the turn as invalid output', () => {
      given(lastStep)
        .when(commands.validateOutput(1, problems, after(4)))
        .then([
          events.outputValidated(1, problems),
          events.turnFailed('invalid-output', 'no model step is left to repair: the answer is not valid JSON', after(4)),
        ]);
    });
  });
});
