import type { RecordedEvent } from '../../domain/events/envelope.js';
import { streamId } from '../../domain/shared/stream-id.js';
import { TURN_END_EVENT_TYPES } from '../../domain/turn/turn-end-events.js';
import type { EventStore } from '../../infra/event-store/port.js';
import type { StreamEventHub } from '../../infra/event-store/stream-event-hub.js';


/** Resolves with the turn's events once it has completed or failed (the last event is the terminal one). */
export async function awaitTurnEnd(store: EventStore, hub: StreamEventHub, turnId: string, signal: AbortSignal): Promise<RecordedEvent[]> {
  const stream = streamId('turn', turnId);
  let wake = () => {};
  const onWake = () => wake();
  const follower = hub.listen(stream, (event) => {
    if (TURN_END_EVENT_TYPES.has(event.type)) onWake();
  });
  signal.addEventListener('abort', onWake, { once: true });
  try {
    for (;;) {
      // Armed before the read, so an end committed while reading is not missed.
      const woken = new Promise<void>((resolve) => (wake = resolve));
      const { events } = await store.readStream(stream);
      const terminalIndex = events.findIndex((event) => TURN_END_EVENT_TYPES.has(event.type));
      if (terminalIndex >= 0) return events.slice(0, terminalIndex + 1);
      if (signal.aborted) throw signal.reason ?? new Error('aborted');
      await woken;
    }
  } finally {
    follower.stop();
    signal.removeEventListener('abort', onWake);
  }
}
