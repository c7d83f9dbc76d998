import type { RequestedTurn, TurnDriver } from '../../commands/turns.js';
import type { RecordedEvent } from '../../domain/events/envelope.js';
import { streamId } from '../../domain/shared/stream-id.js';
import type { TurnCompletedData } from '../../domain/turn/events/turn-ended.js';
import { TURN_END_EVENT_TYPES } from '../../domain/turn/turn-end-events.js';
import type { EventStore } from '../../infra/event-store/port.js';
import type { StreamEventHub } from '../../infra/event-store/stream-event-hub.js';
import { awaitTurnEnd } from './await-turn-end.js';

export interface TurnEndSources {
  store: EventStore;
  hub: StreamEventHub;
  driver?: TurnDriver;
}

/** How a turn ended: its outcome, or the events that explain its failure. */
export type TurnEnding = { status: 'completed'; outcome: TurnCompletedData } | { status: 'failed'; events: RecordedEvent[] };

export function endingOf(events: readonly RecordedEvent[]): TurnEnding {
  const terminal = events.at(-1)!;
  return terminal.type === 'TurnCompleted' ? { status: 'completed', outcome: terminal.data as TurnCompletedData } : { status: 'failed', events: [...events] };
}

/**
 * How the turn ended. Driven in this process when a driver is given, which usually
 * ends it; otherwise, or when the drive stops short (tools, approvals, a handler that
 * took over, a failure after the turn was recorded), the end is awaited from the log.
 */
export async function driveToEnd(
  sources: TurnEndSources,
  turn: RequestedTurn,
  signal: AbortSignal,
  onDriveError: (error: unknown) => void,
): Promise<TurnEnding> {
  if (sources.driver) {
    let reached;
    try {
      reached = await sources.driver.drive(turn);
    } catch (error) {
      // A deferred turn whose first append never happened does not exist: nothing would ever end it.
      if (turn.unsaved && turn.unsaved.length > 0) throw error;
      onDriveError(error);
    }
    if (reached?.status === 'completed') return { status: 'completed', outcome: reached.outcome };
    if (reached?.status === 'failed') {
      // The driver's own appends: reading its stream back sees them at once.
      const { events } = await sources.store.readStream(streamId('turn', turn.turnId));
      const terminal = events.findIndex((event) => TURN_END_EVENT_TYPES.has(event.type));
      if (terminal >= 0) return endingOf(events.slice(0, terminal + 1));
    }
  }
  return endingOf(await awaitTurnEnd(sources.store, sources.hub, turn.turnId, signal));
}

/**
 * Resolves once a deferred turn's first append has landed (at once for a turn already
 * recorded); rejects when its drive failed before that, leaving nothing recorded.
 */
export async function untilRecorded(turn: RequestedTurn, drive: Promise<unknown>): Promise<void> {
  if (!turn.recorded) return;
  await Promise.race([
    turn.recorded,
    drive.then(() => {
      if (turn.unsaved && turn.unsaved.length > 0) throw new Error(`turn ${turn.turnId} ended without being recorded`);
    }),
  ]);
}
