import type { Logger } from 'pino';
import { handleCommand, loadState } from '../../commands/handle-command.js';
import type { RecordedEvent } from '../../domain/events/envelope.js';
import { idOf, streamId } from '../../domain/shared/stream-id.js';
import { turnDecider } from '../../domain/turn/decide-turn.js';
import type { TurnCommand } from '../../domain/turn/turn-command.js';
import type { TurnState } from '../../domain/turn/turn-state.js';
import type { ModelRegistry } from '../../gateway/model-registry.js';
import type { DeltaChannel } from '../../infra/deltas/port.js';
import type { EventStore } from '../../infra/event-store/port.js';
import type { ReadModels } from '../../projections/read-model-database.js';

export interface TurnPipelineDependencies {
  store: EventStore;
  readModels: ReadModels;
  models: ModelRegistry;
  deltas: DeltaChannel;
  countTokens: (text: string) => number;
  logger: Logger;
}

export function turnIdOf(event: RecordedEvent): string {
  return idOf(event.streamId);
}

export async function loadTurn(store: EventStore, turnId: string): Promise<TurnState> {
  return (await loadState(store, streamId('turn', turnId), turnDecider)).state;
}

/**
 * Runs a turn command caused by `cause`. Output ids derive from the causing event and
 * the step name, so a redelivered message appends nothing new.
 */
export async function runTurnCommand(store: EventStore, cause: RecordedEvent, step: string, command: TurnCommand) {
  return handleCommand(store, streamId('turn', turnIdOf(cause)), turnDecider, command, {
    step,
    metadata: {
      tenantId: cause.metadata.tenantId,
      userId: cause.metadata.userId,
      correlationId: cause.metadata.correlationId,
      causationId: cause.id,
      traceparent: cause.metadata.traceparent,
    },
  });
}
