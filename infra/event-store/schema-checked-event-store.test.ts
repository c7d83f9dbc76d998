import { afterEach, describe, expect, it, vi } from 'vitest';
import { START_POSITION } from '../../domain/events/global-position.js';
import { newId } from '../../domain/shared/ids.js';
import { streamId } from '../../domain/shared/stream-id.js';
import { itemAdded, testRegistry } from '../../test/support/test-events.js';
import { openPglite } from '../sql/pglite.js';
import type { RecordedEvent } from '../../domain/events/envelope.js';
import { withEventSchemas } from './schema-checked-event-store.js';
import { createPgliteEventStore, migratePgliteEventLog } from './sql/pglite-event-store.js';

describe('live subscribers of the schema-checked store', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  it('decode an event only when its data is read, and then once', async () => {
    const pglite = await openPglite();
    await migratePgliteEventLog(pglite);
    const registry = testRegistry();
    const decode = vi.spyOn(registry, 'decode');
    const store = withEventSchemas(createPgliteEventStore(pglite, { ownsDatabase: true }), registry);
    closers.push(() => store.close());
    const received: RecordedEvent[][] = [[], []];
    for (const seen of received) {
      const controller = new AbortController();
      const subscription = store.subscribeToAll({ after: START_POSITION, signal: controller.signal });
      void (async () => {
        for await (const event of subscription) seen.push(event);
      })();
      closers.push(async () => {
        controller.abort();
        await subscription.close();
      });
    }

    const events = [itemAdded('a', 1), itemAdded('b', 2), itemAdded('c', 3)];
    await store.appendToStream(streamId('cart', newId()), events);
    await vi.waitFor(() => expect(received.map((seen) => seen.length)).toEqual([3, 3]));
    expect(received[0]!.map((event) => [event.id, event.type, event.metadata.schemaVersion])).toEqual(events.map((event) => [event.id, 'ItemAdded', 1]));
    expect(decode).not.toHaveBeenCalled();

    expect(received[0]![1]!.data).toEqual({ sku: 'b', quantity: 2 });
    expect(received[0]![1]!.data).toEqual({ sku: 'b', quantity: 2 });
    expect({ ...received[1]![2]! }.data).toEqual({ sku: 'c', quantity: 3 });
    // Read twice, copied once: each decoded once; the first event, never read, never decoded.
    expect(decode.mock.calls.map(([, , data]) => (data as { sku: string }).sku)).toEqual(['b', 'c']);
  });
});
