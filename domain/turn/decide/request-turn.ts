import type { RequestTurn } from '../turn-command.js';
import { InvalidTurnCommandError, TurnAlreadyRequestedError } from '../turn-errors.js';
import type { TurnEvent } from '../turn-event.js';
import type { TurnState } from '../turn-state.js';

export function requestTurn({ now, deadline, ...request }: RequestTurn['data'], state: TurnState): TurnEvent[] {
  if (state.status !== 'none') {
    const recorded = state.request;
    // The API retrying with the same turn id must not start a second turn nor fail.
    const same =
      recorded.tenantId === request.tenantId &&
      recorded.conversationId === request.conversationId &&
      recorded.message === request.message;
    if (same) return [];
    throw new TurnAlreadyRequestedError(request.turnId);
  }
  if (deadline <= now) throw new InvalidTurnCommandError('deadline', 'the deadline must be after the request');
  if (request.message.trim() === '' && !request.clientMessages?.length) {
    throw new InvalidTurnCommandError('message', 'the message is empty');
  }
  const data = { ...request, requestedAt: now.toISOString(), deadline: deadline.toISOString() };
  return [{ type: 'TurnRequested', data }];
}
