import type { StreamEvent } from '../../domain/events/envelope.js';
import { streamId } from '../../domain/shared/stream-id.js';
import { TURN_END_EVENT_TYPES } from '../../domain/turn/turn-end-events.js';
import type { DeltaChannel, TurnDelta } from '../../infra/deltas/port.js';
import type { EventStore } from '../../infra/event-store/port.js';
import type { StreamEventHub } from '../../infra/event-store/stream-event-hub.js';
import type { SseWriter } from '../sse/sse-writer.js';
import { formatCursor, type TurnCursor } from './turn-cursor.js';


export interface TurnStreamSources {
  store: EventStore;
  hub: StreamEventHub;
  deltas: DeltaChannel;
}

/**
 * Streams a turn over SSE from a cursor: its events (history, then live through the
 * process's hub) and its token deltas, each frame carrying the combined cursor as id.
 * Ends after TurnCompleted or TurnFailed, or when the client leaves.
 */
export async function streamTurn(
  sse: SseWriter,
  sources: TurnStreamSources,
  turnId: string,
  from: TurnCursor,
  onDeltaError?: (error: unknown) => void,
): Promise<void> {
  const stream = streamId('turn', turnId);
  const cursor = { ...from };
  const live: StreamEvent[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  const follower = sources.hub.listen(stream, (event) => {
    live.push(event);
    wake?.();
  });
  const stopDeltas = new AbortController();
  void sse.closed.then(() => {
    stopDeltas.abort();
    wake?.();
  });

  const sendEvent = async (event: StreamEvent) => {
    if (event.revision <= cursor.revision || ended) return;
    cursor.revision = event.revision;
    ended = TURN_END_EVENT_TYPES.has(event.type);
    await sse.send({
      id: formatCursor(cursor),
      event: event.type,
      data: { type: event.type, revision: event.revision, occurredAt: event.occurredAt.toISOString(), data: event.data },
    });
  };

  const sendDelta = async (delta: TurnDelta) => {
    if (delta.sequence <= cursor.sequence) return;
    cursor.sequence = delta.sequence;
    await sse.send({ id: formatCursor(cursor), event: delta.part.type, data: { step: delta.step, ...delta.part } });
  };

  try {
    const history = await sources.store.readStream(stream, { fromRevision: cursor.revision + 1 });
    // What the client gets from this read, the hub need not read again for it.
    const lastRead = history.events.at(-1)?.revision;
    if (lastRead !== undefined) follower.readUpTo(lastRead);
    const terminalAt = history.events.findIndex((event) => TURN_END_EVENT_TYPES.has(event.type));
    const terminal = terminalAt === -1 ? undefined : history.events[terminalAt];
    // The stream ends with the turn's end: what was recorded after it (feedback) is not part of it.
    for (const event of terminal ? history.events.slice(0, terminalAt) : history.events) await sendEvent(event);
    if (terminal) {
      // A client back after the end still gets the deltas it missed, then the end.
      for (const delta of await sources.deltas.replay(turnId, cursor.sequence)) await sendDelta(delta);
      await sendEvent(terminal);
      return;
    }
    const deltaPump = (async () => {
      for await (const delta of sources.deltas.follow(turnId, cursor.sequence, stopDeltas.signal)) {
        if (ended) return;
        await sendDelta(delta);
      }
    })().catch((error: unknown) => {
      // Without deltas the stream still carries every event and ends with the whole answer.
      onDeltaError?.(error);
    });
    while (!ended && !sse.isClosed()) {
      const next = live.shift();
      if (next) {
        await sendEvent(next);
        continue;
      }
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
    stopDeltas.abort();
    await deltaPump;
  } finally {
    follower.stop();
    stopDeltas.abort();
    sse.end();
  }
}
