import { START_POSITION, type GlobalPosition } from '../../domain/events/global-position.js';
import { newId } from '../../domain/shared/ids.js';
import { streamId } from '../../domain/shared/stream-id.js';
import type { EventStore } from '../../infra/event-store/port.js';
import { itemAdded } from './test-events.js';

/**
 * The position of the last event once every committed event is readable: a gap-free
 * log may hold events back while an older transaction anywhere on the server is open.
 */
export async function endOfLog(store: EventStore): Promise<GlobalPosition> {
  const total = await store.countEvents!();
  let position = START_POSITION;
  let seen = 0;
  for (;;) {
    const batch = await store.readAll({ after: position });
    position = batch.lastPosition;
    seen += batch.events.length;
    if (batch.isEnd && seen >= total) return position;
    if (batch.isEnd) await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** `eventsPerStream` rounds of one ItemAdded to each of `streams` new cart streams, the streams of a round at once. */
export async function appendMany(store: EventStore, streams: number, eventsPerStream: number): Promise<void> {
  const names = Array.from({ length: streams }, () => streamId('cart', newId()));
  for (let round = 0; round < eventsPerStream; round += 1) {
    await Promise.all(names.map((name) => store.appendToStream(name, [itemAdded(`r${round}`)])));
  }
}
