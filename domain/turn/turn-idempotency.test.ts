import { describe, it } from 'vitest';
import { deciderSpecification } from '../shared/decider-specification.js';
import { turnDecider } from './decide-turn.js';
import type { TurnCommand } from './turn-command.js';
import {
  ToolCallStateError,
  TurnAlreadyRequestedError,
  TurnEndedError,
  TurnNotFoundError,
  TurnStepMismatchError,
  UnexpectedTurnCommandError,
  UnknownModelCallError,
} from './turn-errors.js';
import type { TurnEvent } from './turn-event.js';
import { after, callingTools, commands, events, histories, toolCallId } from './turn-fixtures.js';

const given = deciderSpecification(turnDecider);
const first = toolCallId(1);

const completed = [...histories.chatAnswered(), events.outputValidated(1), events.turnCompleted(after(4))];
const failed = [events.turnRequested(), events.turnFailed('cancelled', 'stopped', after(1))];

describe('turn: repeated commands append nothing', () => {
  const repeats: [string, TurnEvent[], TurnCommand][] = [
    ['RequestTurn', [events.turnRequested()], commands.requestTurn()],
    ['RecordContextRetrieved', [events.turnRequested({ mode: 'rag' }), events.contextRetrieved()], commands.recordContextRetrieved()],
    ['RecordPromptBuilt', [events.turnRequested(), events.promptBuilt(1)], commands.recordPromptBuilt(1)],
    ['StartModelCall', [events.turnRequested(), events.promptBuilt(1), events.modelCallStarted(1)], commands.startModelCall(1)],
    ['CompleteModelCall', histories.chatAnswered(), commands.completeModelCall(1)],
    ['CompleteModelCall with tool calls', histories.toolsProposed(2), commands.completeModelCall(1, callingTools(2))],
    [
      'RequestToolApproval',
      [...histories.toolsProposed(), events.toolCallApprovalRequested(first)],
      commands.requestToolApproval(first),
    ],
    [
      'ApproveToolCall',
      [...histories.toolsProposed(), events.toolCallApprovalRequested(first), events.toolCallApproved(first)],
      commands.approveToolCall(first),
    ],
    ['RejectToolCall', [...histories.toolsProposed(), events.toolCallRejected(first)], commands.rejectToolCall(first)],
    ['RecordToolExecuted', [...histories.toolsProposed(), events.toolCallExecuted(first)], commands.recordToolExecuted(first)],
    ['RecordToolFailed', [...histories.toolsProposed(), events.toolCallFailed(first)], commands.recordToolFailed(first)],
    ['ValidateOutput', [...histories.chatAnswered(), events.outputValidated(1)], commands.validateOutput(1)],
    ['CompleteTurn', completed, commands.completeTurn(after(5))],
    ['FailTurn', failed, commands.failTurn('cancelled', after(2))],
    ['ExpireTurn', completed, commands.expireTurn(after(500))],
  ];

  describe('when the command already happened', () => {
    it.each(repeats)('%s returns no event', (_name, history, command) => {
      given(history).when(command).thenNothingHappened();
    });
  });
});

describe('turn: commands in the wrong state are refused', () => {
  describe('when no turn exists', () => {
    it('refuses every command but RequestTurn', () => {
      given([]).when(commands.recordPromptBuilt(1)).thenThrows(TurnNotFoundError, { code: 'TESSERA_TURN_NOT_FOUND' });
      given([]).when(commands.expireTurn(after(1))).thenThrows(TurnNotFoundError);
    });
  });

  describe('when the turn was requested', () => {
    it('refuses the same turn id with another message', () => {
      given([events.turnRequested()])
        .when(commands.requestTurn({ message: 'Something else' }))
        .thenThrows(TurnAlreadyRequestedError, { field: 'turnId' });
    });

    it('refuses to skip retrieval in rag mode, and to retrieve in chat mode', () => {
      given([events.turnRequested({ mode: 'rag' })]).when(commands.recordPromptBuilt(1)).thenThrows(UnexpectedTurnCommandError);
      given([events.turnRequested()]).when(commands.recordContextRetrieved()).thenThrows(UnexpectedTurnCommandError);
    });

    it('refuses a step out of order, a call before its prompt, an answer to no call', () => {
      given([events.turnRequested()]).when(commands.recordPromptBuilt(2)).thenThrows(TurnStepMismatchError, { expectedStep: 1 });
      given([events.turnRequested()]).when(commands.startModelCall(1)).thenThrows(UnexpectedTurnCommandError);
      given([events.turnRequested()]).when(commands.completeModelCall(1)).thenThrows(UnknownModelCallError, { field: 'callId' });
    });

    it('refuses to complete an answer nobody validated', () => {
      given(histories.chatAnswered()).when(commands.completeTurn(after(5))).thenThrows(UnexpectedTurnCommandError);
    });
  });

  describe('when a model call is in flight', () => {
    it('refuses a second call for the same step', () => {
      const second = commands.startModelCall(1);
      second.data.callId = 'call-other';
      const calling = [events.turnRequested(), events.promptBuilt(1), events.modelCallStarted(1)];
      given(calling).when(second).thenThrows(UnexpectedTurnCommandError);
    });
  });

  describe('when a tool call has settled', () => {
    it('refuses to settle it another way', () => {
      given([...histories.toolsProposed(), events.toolCallExecuted(first)])
        .when(commands.recordToolFailed(first))
        .thenThrows(ToolCallStateError, { toolCallStatus: 'executed' });
    });
  });

  describe('when the turn has ended', () => {
    it('refuses new work, naming how it ended', () => {
      given(completed)
        .when(commands.recordPromptBuilt(2))
        .thenThrows(TurnEndedError, { code: 'TESSERA_TURN_ENDED', status: 'completed' });
      given(failed).when(commands.completeTurn(after(3))).thenThrows(TurnEndedError, { status: 'failed' });
      given(completed).when(commands.failTurn('cancelled', after(5))).thenThrows(TurnEndedError);
    });

    it('refuses even a repeat of work already started, so that no handler resumes it', () => {
      const failedWhileCalling = [events.turnRequested(), events.promptBuilt(1), events.modelCallStarted(1), failed[1] as TurnEvent];
      given(failedWhileCalling).when(commands.startModelCall(1)).thenThrows(TurnEndedError);
    });
  });

  describe('when the turn is still running', () => {
    it('refuses feedback', () => {
      given(histories.chatAnswered())
        .when({ type: 'RecordFeedback', data: { score: 1, source: 'user' } })
        .thenThrows(UnexpectedTurnCommandError);
    });
  });
});
