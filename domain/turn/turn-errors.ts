import { DomainError } from '../shared/domain-error.js';

export class TurnNotFoundError extends DomainError {
  constructor() {
    super('TESSERA_TURN_NOT_FOUND', 'the turn was not found', 'turnId');
  }
}

export class TurnAlreadyRequestedError extends DomainError {
  constructor(readonly turnId: string) {
    super('TESSERA_TURN_EXISTS', `turn ${turnId} was already requested with a different message`, 'turnId');
  }
}

/** The turn completed or failed; only late results of work already under way are still recorded. */
export class TurnEndedError extends DomainError {
  constructor(
    readonly status: 'completed' | 'failed',
    readonly commandType: string,
  ) {
    super('TESSERA_TURN_ENDED', `the turn has ${status}; ${commandType} is refused`, 'turnId');
  }
}

/** A command the turn's current state does not allow (a step out of order, a call not yet due). */
export class UnexpectedTurnCommandError extends DomainError {
  constructor(
    readonly status: string,
    readonly commandType: string,
    detail?: string,
  ) {
    const because = detail ? `: ${detail}` : '';
    super('TESSERA_TURN_COMMAND_UNEXPECTED', `${commandType} is not expected while the turn is ${status}${because}`, 'type');
  }
}

export class TurnStepMismatchError extends DomainError {
  constructor(
    readonly expectedStep: number,
    readonly step: number,
  ) {
    super('TESSERA_TURN_STEP_MISMATCH', `the turn is at step ${expectedStep}, not ${step}`, 'step');
  }
}

export class UnknownModelCallError extends DomainError {
  constructor(readonly callId: string) {
    super('TESSERA_UNKNOWN_MODEL_CALL', `model call ${callId} was not started in this turn`, 'callId');
  }
}

export class UnknownToolCallError extends DomainError {
  constructor(readonly toolCallId: string) {
    super('TESSERA_UNKNOWN_TOOL_CALL', `tool call ${toolCallId} was not proposed in this turn`, 'toolCallId');
  }
}

/** A tool call asked to move where its state does not lead: approving a rejected call, running a client's. */
export class ToolCallStateError extends DomainError {
  constructor(
    readonly toolCallId: string,
    readonly toolCallStatus: string,
    action: string,
  ) {
    super('TESSERA_TOOL_CALL_STATE', `tool call ${toolCallId} is ${toolCallStatus} and cannot be ${action}`, 'toolCallId');
  }
}

export class ToolApprovalExpiredError extends DomainError {
  constructor(
    readonly toolCallId: string,
    readonly deadline: string,
  ) {
    super('TESSERA_TOOL_APPROVAL_EXPIRED', `the approval of tool call ${toolCallId} was due by ${deadline}`, 'toolCallId');
  }
}

export class OutputTokenLimitError extends DomainError {
  constructor(readonly limit: number) {
    super('TESSERA_MAX_OUTPUT_TOKENS', `every model call must set maxOutputTokens at most ${limit}`, 'parameters.maxOutputTokens');
  }
}

/** Command content the turn refuses regardless of state: a deadline in the past, an empty message. */
export class InvalidTurnCommandError extends DomainError {
  constructor(field: string, message: string) {
    super('TESSERA_INVALID_TURN_COMMAND', message, field);
  }
}
