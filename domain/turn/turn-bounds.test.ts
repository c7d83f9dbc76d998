import { describe, expect, it } from 'vitest';
import { deciderSpecification } from '../shared/decider-specification.js';
import { turnDecider } from './decide-turn.js';
import { OutputTokenLimitError } from './turn-errors.js';
import type { TurnEvent } from './turn-event.js';
import { after, callingTools, commands, DEADLINE, events, histories, LIMITS, toolCallId, USAGE } from './turn-fixtures.js';

const given = deciderSpecification(turnDecider);
const pastDeadline = new Date(DEADLINE.getTime() + 1);
const deadlineExceeded = (at: Date) =>
  events.turnFailed('deadline-exceeded', `the turn passed its deadline of ${DEADLINE.toISOString()}`, at);

/** A model step whose one tool call ran. */
const toolStep = (step: number): TurnEvent[] => [
  events.promptBuilt(step),
  events.modelCallStarted(step),
  events.modelCallCompleted(step, callingTools(1)),
  events.toolCallProposed(step, 0),
  events.toolCallExecuted(toolCallId(step, 0)),
];

describe('turn: bounds', () => {
  describe('when the last model step allowed has run', () => {
    const exhausted = [events.turnRequested(), ...toolStep(1), ...toolStep(2), ...toolStep(3)];

    it('fails the turn instead of building another prompt', () => {
      given(exhausted)
        .when(commands.recordPromptBuilt(LIMITS.maxModelSteps + 1, after(30)))
        .then([events.turnFailed('max-model-steps', 'the turn may take at most 3 model steps', after(30))]);
    });
  });

  describe('when the model asks for more tool calls than the turn has left', () => {
    const twoUsed = [
      ...histories.toolsProposed(2),
      events.toolCallExecuted(toolCallId(1, 0)),
      events.toolCallExecuted(toolCallId(1, 1)),
      events.promptBuilt(2),
      events.modelCallStarted(2),
    ];

    it('records the answer and fails the turn without proposing any', () => {
      given(twoUsed)
        .when(commands.completeModelCall(2, callingTools(2)))
        .then([
          events.modelCallCompleted(2, callingTools(2)),
          events.turnFailed('max-tool-calls', 'the turn may make at most 3 tool calls', after(3)),
        ]);
    });

    it('proposes them while they fit', () => {
      given(twoUsed)
        .when(commands.completeModelCall(2, callingTools(1)))
        .then([events.modelCallCompleted(2, callingTools(1)), events.toolCallProposed(2, 0)]);
    });
  });

  describe('when a prompt asks for more output than the turn allows', () => {
    it('refuses it, naming the parameter', () => {
      const tooLong = commands.recordPromptBuilt(1);
      tooLong.data.parameters = { maxOutputTokens: LIMITS.maxOutputTokens + 1 };
      given([events.turnRequested()]).when(tooLong).thenThrows(OutputTokenLimitError, { field: 'parameters.maxOutputTokens' });
      const unbounded = commands.recordPromptBuilt(1);
      unbounded.data.parameters = {};
      given([events.turnRequested()]).when(unbounded).thenThrows(OutputTokenLimitError);
    });
  });

  describe('when the deadline has passed', () => {
    it('is failed by the sweeper', () => {
      given([events.turnRequested()]).when(commands.expireTurn(pastDeadline)).then([deadlineExceeded(pastDeadline)]);
    });

    it('is left alone by the sweeper before then', () => {
      given([events.turnRequested()]).when(commands.expireTurn(DEADLINE)).thenNothingHappened();
    });

    it('fails instead of starting new work', () => {
      given([events.turnRequested()]).when(commands.recordPromptBuilt(1, pastDeadline)).then([deadlineExceeded(pastDeadline)]);
      given([events.turnRequested(), events.promptBuilt(1)])
        .when(commands.startModelCall(1, pastDeadline))
        .then([deadlineExceeded(pastDeadline)]);
      given([...histories.chatAnswered(), events.outputValidated(1)])
        .when(commands.completeTurn(pastDeadline))
        .then([deadlineExceeded(pastDeadline)]);
    });

    it('still records an answer that arrives late, then fails', () => {
      given([events.turnRequested(), events.promptBuilt(1), events.modelCallStarted(1)])
        .when(commands.completeModelCall(1, {}, pastDeadline))
        .then([events.modelCallCompleted(1), deadlineExceeded(pastDeadline)]);
    });
  });

  describe('when the turn failed while work was under way', () => {
    const failed = [
      ...histories.toolsProposed(1),
      events.toolCallExecuted(toolCallId(1)),
      events.promptBuilt(2),
      events.modelCallStarted(2),
      deadlineExceeded(pastDeadline),
    ];
    const failedWhileToolRan = [...histories.toolsProposed(1), deadlineExceeded(pastDeadline)];

    it('records the late answer, whose tokens were spent, and nothing more', () => {
      given(failed).when(commands.completeModelCall(2, callingTools(1))).then([events.modelCallCompleted(2, callingTools(1))]);
      const withLateAnswer = [...failed, events.modelCallCompleted(2, callingTools(1))];
      expect(given(withLateAnswer).state()).toMatchObject({ status: 'failed', usage: { outputTokens: 2 * USAGE.outputTokens } });
    });

    it('records a tool run that finished late, for the audit trail', () => {
      given(failedWhileToolRan).when(commands.recordToolExecuted(toolCallId(1))).then([events.toolCallExecuted(toolCallId(1))]);
    });

    it('is not expired again', () => {
      given(failed).when(commands.expireTurn(pastDeadline)).thenNothingHappened();
    });
  });
});
