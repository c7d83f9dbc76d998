import type { EventStore } from '../../infra/event-store/port.js';
import { newId } from '../../domain/shared/ids.js';
import { streamId } from '../../domain/shared/stream-id.js';
import { startPhase } from '../support/phase-progress.js';
import { itemAdded } from '../../test/support/test-events.js';

/**
 * Fills the log through the store itself (schemas checked, one round trip per append),
 * spread over many streams so the projection has real upserts to fold.
 */
export async function loadEvents(store: EventStore, total: number, streams: number, label: string): Promise<void> {
  const perAppend = 200;
  const writers = 4;
  const names = Array.from({ length: streams }, () => streamId('cart', newId()));
  const progress = startPhase(label, total, 'events');
  let written = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (next < total) {
        const size = Math.min(perAppend, total - next);
        next += size;
        const stream = names[Math.floor(Math.random() * names.length)]!;
        await store.appendToStream(stream, Array.from({ length: size }, (_, i) => itemAdded(`sku-${i % 97}`, 1 + (i % 5))));
        written += size;
        progress.update(written, `${Math.round(written / ((performance.now() - started) / 1_000))} ev/s`);
      }
    }),
  );
  progress.finish(`${written} events in ${((performance.now() - started) / 1_000).toFixed(1)} s`);
}
