import type { Logger } from 'pino';
import { handleCommand, loadState } from '../../commands/handle-command.js';
import type { EventMetadataInput, RecordedEvent } from '../../domain/events/envelope.js';
import { idOf, streamId } from '../../domain/shared/stream-id.js';
import { turnDecider } from '../../domain/turn/decide-turn.js';
import type { TurnCommand } from '../../domain/turn/turn-command.js';
import type { TurnState } from '../../domain/turn/turn-state.js';
import type { ResponseCache } from '../../gateway/cache/response-cache.js';
import type { TurnBudgets } from './budgeted-call.js';
import type { ModelRegistry } from '../../gateway/model-registry.js';
import type { DeltaChannel } from '../../infra/deltas/port.js';
import type { EventStore } from '../../infra/event-store/port.js';
import type { ConversationViewProgress } from '../../projections/conversations/conversation-view-progress.js';
import type { ReadModels } from '../../projections/read-model-database.js';

export interface TurnPipelineDependencies {
  store: EventStore;
  readModels: ReadModels;
  /** Where the projections run in this process: lets a prompt wait for its conversation's earlier turns. */
  conversationView?: ConversationViewProgress;
  models: ModelRegistry;
  deltas: DeltaChannel;
  countTokens: (text: string) => number;
  logger: Logger;
  /** Budgets held before each model call and settled after it; none: calls are not metered against budgets. */
  budgets?: TurnBudgets;
  /** Exact-match cache of deterministic model calls; none: every call goes to the model. */
  responseCache?: ResponseCache;
  cacheTtlMs?: number;
  /** This process, as ModelCallStarted names it: a call it started itself it may take up again at once. */
  processId?: string;
  /** How long a started model call is left to whoever started it before a handler takes it over. */
  modelCallLeaseMs?: number;
  /** Turns this process is driving inline; handlers wait for them instead of racing. */
  localDrives?: LocalTurnDrives;
}

/**
 * The turns an API process is driving itself. A handler in the same process that gets
 * a message for one of them waits for the drive to end, then finds the step done; the
 * message stays unacked meanwhile, so a crash mid-drive still gets it redelivered.
 */
export class LocalTurnDrives {
  private readonly running = new Map<string, Promise<unknown>>();
  /** Turns a drive here ended, newest last: an ended turn never changes, so handlers need not read it. */
  private readonly ended = new Map<string, TurnState>();

  constructor(private readonly rememberEnded = 10_000) {}

  track(turnId: string, drive: Promise<TurnState>): Promise<TurnState> {
    // The caller handles the drive's failure; this chain only tracks it, so it must never reject.
    const settled = drive
      .then(
        (state) => {
          if (state.status === 'completed' || state.status === 'failed') this.remember(turnId, state);
        },
        () => undefined,
      )
      .finally(() => {
        if (this.running.get(turnId) === settled) this.running.delete(turnId);
      });
    this.running.set(turnId, settled);
    return drive;
  }

  async settled(turnId: string): Promise<void> {
    await this.driving(turnId);
  }

  /** The drive of the turn under way in this process (settling, never rejecting, when it ends), if any. */
  driving(turnId: string): Promise<unknown> | undefined {
    return this.running.get(turnId);
  }

  /** While the turn is driven here: settles when the drive ends, true when it ended the turn. */
  untilDriveEnds(turnId: string): Promise<boolean> | undefined {
    return this.running.get(turnId)?.then(() => this.ended.has(turnId));
  }

  endedState(turnId: string): TurnState | undefined {
    return this.ended.get(turnId);
  }

  private remember(turnId: string, state: TurnState): void {
    this.ended.set(turnId, state);
    if (this.ended.size > this.rememberEnded) this.ended.delete(this.ended.keys().next().value!);
  }
}

/** The turn as a handler should see it: after any drive of it in this process. */
export async function loadTurnForHandler(dependencies: TurnPipelineDependencies, turnId: string): Promise<TurnState> {
  await dependencies.localDrives?.settled(turnId);
  return dependencies.localDrives?.endedState(turnId) ?? loadTurn(dependencies.store, turnId);
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
    metadata: metadataCausedBy(cause),
  });
}

/**
 * The metadata of what a step appends because of `cause`. Bus handlers and the inline
 * drive must produce exactly the same, since the store compares a re-appended event's
 * content with the original.
 */
export function metadataCausedBy(cause: { id: string; metadata: EventMetadataInput }): EventMetadataInput {
  const { tenantId, userId, correlationId, traceparent } = cause.metadata;
  return { tenantId, userId, correlationId, causationId: cause.id, traceparent };
}
