import { describe, expect, it } from 'vitest';
import { isId } from '../shared/ids.js';
import { deciderSpecification } from '../shared/decider-specification.js';
import { APPROVAL_DEADLINE_EXCEEDED } from './decide/turn-outcome.js';
import { turnDecider } from './decide-turn.js';
import { nextAction } from './next-action.js';
import { ToolApprovalExpiredError, ToolCallStateError, UnexpectedTurnCommandError, UnknownToolCallError } from './turn-errors.js';
import { after, callingTools, commands, events, histories, MODEL_TOOL_CALLS, toolCallId, USAGE } from './turn-fixtures.js';

const given = deciderSpecification(turnDecider);
const first = toolCallId(1, 0);
const second = toolCallId(1, 1);

describe('turn: tool calls', () => {
  describe('when the model answers with server tool calls', () => {
    const calling = [events.turnRequested(), events.promptBuilt(1), events.modelCallStarted(1)];

    it('records the answer and proposes each call under an id of its own', () => {
      given(calling)
        .when(commands.completeModelCall(1, callingTools(2)))
        .then([events.modelCallCompleted(1, callingTools(2)), events.toolCallProposed(1, 0), events.toolCallProposed(1, 1)]);
      expect(isId(first) && isId(second) && first !== second).toBe(true);
    });

    it('asks the pipeline to execute them', () => {
      expect(nextAction(given(histories.toolsProposed(2)).state())).toBe('execute-tools');
    });
  });

  describe('when calls are proposed', () => {
    const proposed = histories.toolsProposed(2);

    it('records results and failures', () => {
      given(proposed).when(commands.recordToolExecuted(first)).then([events.toolCallExecuted(first)]);
      given(proposed).when(commands.recordToolFailed(first)).then([events.toolCallFailed(first)]);
    });

    it('rejects a call the tool policy forbids', () => {
      given(proposed).when(commands.rejectToolCall(first)).then([events.toolCallRejected(first)]);
    });

    it('asks a person to approve a call', () => {
      given(proposed).when(commands.requestToolApproval(first)).then([events.toolCallApprovalRequested(first)]);
    });

    it('does not build the next step while a call is unsettled', () => {
      const oneSettled = [...proposed, events.toolCallExecuted(first)];
      expect(nextAction(given(oneSettled).state())).toBe('execute-tools');
      given(oneSettled).when(commands.recordPromptBuilt(2)).thenThrows(UnexpectedTurnCommandError, { field: 'type' });
    });

    it('refuses calls it never proposed', () => {
      given(proposed).when(commands.recordToolExecuted('tool-call-x')).thenThrows(UnknownToolCallError, { field: 'toolCallId' });
    });
  });

  describe('when every call of the step is settled', () => {
    const settled = [...histories.toolsProposed(2), events.toolCallExecuted(first), events.toolCallRejected(second)];

    it('builds the next step, which carries the results to the model', () => {
      expect(nextAction(given(settled).state())).toBe('build-prompt');
      given(settled).when(commands.recordPromptBuilt(2)).then([events.promptBuilt(2)]);
    });

    it('goes on to validation once the model answers without tools', () => {
      const answered = [...settled, events.promptBuilt(2), events.modelCallStarted(2), events.modelCallCompleted(2)];
      expect(nextAction(given(answered).state())).toBe('validate');
      expect(given(answered).state()).toMatchObject({ usage: { inputTokens: 2 * USAGE.inputTokens } });
    });
  });

  describe('when a call awaits approval', () => {
    const awaiting = [...histories.toolsProposed(1), events.toolCallApprovalRequested(first, after(60))];

    it('waits for a person', () => {
      expect(nextAction(given(awaiting).state())).toBe('await-approval');
    });

    it('does not run the call before it is approved', () => {
      given(awaiting).when(commands.recordToolExecuted(first)).thenThrows(ToolCallStateError, { code: 'TESSERA_TOOL_CALL_STATE' });
    });

    it('records an approval, after which the call runs', () => {
      given(awaiting).when(commands.approveToolCall(first)).then([events.toolCallApproved(first)]);
      const approved = [...awaiting, events.toolCallApproved(first)];
      expect(nextAction(given(approved).state())).toBe('execute-tools');
      given(approved).when(commands.recordToolExecuted(first)).then([events.toolCallExecuted(first)]);
    });

    it('records a rejection, which settles the call', () => {
      const rejection = { type: 'RejectToolCall' as const, data: { toolCallId: first, reason: 'no', rejectedBy: 'agent-9' } };
      given(awaiting).when(rejection).then([{ type: 'ToolCallRejected', data: rejection.data }]);
      expect(nextAction(given([...awaiting, events.toolCallRejected(first)]).state())).toBe('build-prompt');
    });

    it('refuses an approval that comes after its deadline', () => {
      given(awaiting).when(commands.approveToolCall(first, after(61))).thenThrows(ToolApprovalExpiredError, { field: 'toolCallId' });
    });

    it('is rejected by the sweeper once its deadline passes, and not before', () => {
      given(awaiting).when(commands.expireTurn(after(59))).thenNothingHappened();
      given(awaiting)
        .when(commands.expireTurn(after(61)))
        .then([{ type: 'ToolCallRejected', data: { toolCallId: first, reason: APPROVAL_DEADLINE_EXCEEDED } }]);
    });
  });

  describe('when a call was approved', () => {
    const approved = [...histories.toolsProposed(1), events.toolCallApprovalRequested(first), events.toolCallApproved(first)];

    it('cannot be rejected any more', () => {
      given(approved).when(commands.rejectToolCall(first)).thenThrows(ToolCallStateError);
    });
  });

  describe('when the turn brings tools the client executes', () => {
    const clientTools = [{ name: 'lookup_order', parameters: { type: 'object' } }];
    const calling = [
      events.turnRequested({ clientTools, source: 'openai-compatible' }),
      events.promptBuilt(1),
      events.modelCallStarted(1),
    ];

    it('hands the calls to the client and completes the turn with finish reason tool-calls', () => {
      const [call] = MODEL_TOOL_CALLS;
      given(calling)
        .when(commands.completeModelCall(1, callingTools(1), after(3)))
        .then([
          events.modelCallCompleted(1, callingTools(1)),
          events.toolCallProposed(1, 0, 'client'),
          events.turnCompleted(after(3), {
            answer: '',
            finishReason: 'tool-calls',
            usage: USAGE,
            toolCalls: [{ toolCallId: first, name: call?.name ?? '', arguments: call?.arguments ?? '' }],
          }),
        ]);
    });

    it('never runs those calls on the server', () => {
      const handedOver = [
        ...calling,
        events.modelCallCompleted(1, callingTools(1)),
        events.toolCallProposed(1, 0, 'client'),
        events.turnCompleted(after(3), { finishReason: 'tool-calls' }),
      ];
      expect(nextAction(given(handedOver).state())).toBe('none');
      given(handedOver).when(commands.recordToolExecuted(first)).thenThrows(ToolCallStateError);
    });
  });
});
