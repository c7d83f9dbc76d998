import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidEventDataError, UnknownEventTypeError } from '../../domain/events/event-registry.js';
import type { RecordedEvent } from '../../domain/events/envelope.js';
import { START_POSITION, type GlobalPosition } from '../../domain/events/global-position.js';
import { newId, type EventId } from '../../domain/shared/ids.js';
import { InvalidStreamIdError, streamId, type StreamId } from '../../domain/shared/stream-id.js';
import { EventIdReusedError, StreamRevisionConflictError } from '../../infra/event-store/errors.js';
import { appendInOrder } from '../../infra/event-store/append-in-order.js';
import type { EventStore, ReadAllResult } from '../../infra/event-store/port.js';
import { InvalidEventEnvelopeError, withEventSchemas } from '../../infra/event-store/schema-checked-event-store.js';
import { recordAdapterCovered } from '../support/adapter-coverage.js';
import { collectUntil } from '../support/collect.js';
import { itemAdded, testRegistry } from '../support/test-events.js';

export interface EventStoreContractQuirks {
  /** False where the store has no global index of event ids (KurrentDB). */
  detectsIdReuseAcrossStreams: boolean;
  /** True where one commit can span several streams (`appendToStreams`). */
  appendsToSeveralStreams: boolean;
  /** True where an append's result carries the events as written (`written`). */
  reportsWritten: boolean;
}

export interface EventStoreUnderTest {
  store: EventStore;
  teardown(): Promise<void>;
}

const aStream = (): StreamId => streamId('cart', newId());

/** Where a reader starting now would begin; events still held back arrive later and are filtered by stream. */
async function endOfLog(store: EventStore): Promise<GlobalPosition> {
  let position = START_POSITION;
  for (;;) {
    const batch = await store.readAll({ after: position });
    position = batch.lastPosition;
    if (batch.isEnd) return position;
  }
}

/**
 * Reads `$all` from `after` until `enough` holds for the events seen. A gap-free log
 * may hold back committed events while an older transaction anywhere on the server
 * is still open, so a reader polls as a subscriber would.
 */
async function readAllUntil(
  store: EventStore,
  after: GlobalPosition,
  enough: (events: RecordedEvent[]) => boolean,
  maxCount?: number,
): Promise<{ events: RecordedEvent[]; batches: ReadAllResult[] }> {
  const events: RecordedEvent[] = [];
  const batches: ReadAllResult[] = [];
  const deadline = Date.now() + 10_000;
  let position = after;
  while (!enough(events)) {
    if (Date.now() > deadline) throw new Error(`only ${events.length} events readable after 10 s`);
    const batch = await store.readAll({ after: position, maxCount });
    batches.push(batch);
    events.push(...batch.events);
    position = batch.lastPosition;
    if (batch.isEnd && !enough(events)) await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return { events, batches };
}

export function describeEventStoreContract(
  name: string,
  factory: () => Promise<EventStoreUnderTest>,
  quirks: EventStoreContractQuirks,
): void {
  describe(`event store contract: ${name}`, () => {
    let underTest: EventStoreUnderTest;
    let store: EventStore;

    beforeAll(async () => {
      underTest = await factory();
      store = withEventSchemas(underTest.store, testRegistry());
      recordAdapterCovered('event-store', name);
    });
    afterAll(async () => {
      await store.close();
      await underTest.teardown();
    });

    describe('append', () => {
      it('creates a stream with revisions from 0 and reads it back whole', async () => {
        const stream = aStream();
        const events = [itemAdded('a', 1), itemAdded('b', 2), itemAdded('c', 3)];
        const result = await store.appendToStream(stream, events, { expectedRevision: 'no_stream' });
        expect(result).toMatchObject({ nextRevision: 2, alreadyAppended: false });

        const read = await store.readStream(stream);
        expect(read.currentRevision).toBe(2);
        expect(read.events.map((event) => [event.id, event.revision, event.data])).toEqual(
          events.map((event, index) => [event.id, index, event.data]),
        );
        expect(read.events[2]?.position).toBe(result.position);
        expect(read.events[0]?.metadata).toEqual({ ...events[0]?.metadata, schemaVersion: 1 });
        expect(read.events[0]?.occurredAt).toBeInstanceOf(Date);
        expect(read.events[0]?.streamId).toBe(stream);
        // What the append reports having written is what a reader of the stream gets, but for the place in $all.
        expect(result.written).toEqual(quirks.reportsWritten ? read.events.map(({ position: _position, ...event }) => event) : undefined);
      });

      it('appends at the exact revision and refuses a stale one, naming both revisions', async () => {
        const stream = aStream();
        await store.appendToStream(stream, [itemAdded('a')], { expectedRevision: 'no_stream' });
        await store.appendToStream(stream, [itemAdded('b')], { expectedRevision: 0 });
        const stale = store.appendToStream(stream, [itemAdded('c')], { expectedRevision: 0 });
        await expect(stale).rejects.toBeInstanceOf(StreamRevisionConflictError);
        await expect(stale).rejects.toMatchObject({ streamId: stream, expectedRevision: 0, actualRevision: 1 });
        expect((await store.readStream(stream)).currentRevision).toBe(1);
      });

      it('refuses no_stream on an existing stream and an exact revision on a missing one', async () => {
        const stream = aStream();
        await store.appendToStream(stream, [itemAdded('a')]);
        await expect(
          store.appendToStream(stream, [itemAdded('b')], { expectedRevision: 'no_stream' }),
        ).rejects.toMatchObject({ expectedRevision: 'no_stream', actualRevision: 0 });
        await expect(
          store.appendToStream(aStream(), [itemAdded('b')], { expectedRevision: 3 }),
        ).rejects.toMatchObject({ expectedRevision: 3, actualRevision: -1 });
      });

      it('appends with any whatever the stream holds', async () => {
        const stream = aStream();
        await store.appendToStream(stream, [itemAdded('a')], { expectedRevision: 'any' });
        const result = await store.appendToStream(stream, [itemAdded('b'), itemAdded('c')], { expectedRevision: 'any' });
        expect(result.nextRevision).toBe(2);
      });

      it('lets exactly one of N concurrent appenders at the same revision win', async () => {
        await fc.assert(
          fc.asyncProperty(fc.integer({ min: 2, max: 12 }), fc.integer({ min: 1, max: 3 }), async (writers, size) => {
            const stream = aStream();
            await store.appendToStream(stream, [itemAdded('seed')], { expectedRevision: 'no_stream' });
            const outcomes = await Promise.allSettled(
              Array.from({ length: writers }, (_, writer) =>
                store.appendToStream(
                  stream,
                  Array.from({ length: size }, () => itemAdded(`w${writer}`)),
                  { expectedRevision: 0 },
                ),
              ),
            );
            const won = outcomes.filter((outcome) => outcome.status === 'fulfilled');
            const lost = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as unknown] : []));
            expect(won).toHaveLength(1);
            for (const error of lost) {
              expect(error).toBeInstanceOf(StreamRevisionConflictError);
              expect(error).toMatchObject({ expectedRevision: 0, actualRevision: size });
            }
            const read = await store.readStream(stream);
            expect(read.events.map((event) => event.revision)).toEqual(Array.from({ length: size + 1 }, (_, i) => i));
          }),
          { numRuns: 15 },
        );
      });

      it('treats a re-append of the same ids and content as a no-op returning the original result', async () => {
        const stream = aStream();
        const events = [itemAdded('a'), itemAdded('b')];
        const first = await store.appendToStream(stream, events, { expectedRevision: 'no_stream' });
        await store.appendToStream(stream, [itemAdded('c')], { expectedRevision: 1 });
        for (const expectedRevision of ['no_stream', 'any', 0] as const) {
          const again = await store.appendToStream(stream, events, { expectedRevision });
          const { written: _written, ...firstOutcome } = first;
          expect(again).toEqual({ ...firstOutcome, alreadyAppended: true });
        }
        expect((await store.readStream(stream)).events).toHaveLength(3);
      });

      it('settles concurrent re-appends of the same events to one copy', async () => {
        for (const expectedRevision of ['no_stream', 'any'] as const) {
          const stream = aStream();
          const events = [itemAdded('a'), itemAdded('b')];
          const results = await Promise.all(
            Array.from({ length: 6 }, () => store.appendToStream(stream, events, { expectedRevision })),
          );
          expect(results.filter((result) => !result.alreadyAppended)).toHaveLength(1);
          expect(new Set(results.map((result) => result.position)).size).toBe(1);
          expect((await store.readStream(stream)).events).toHaveLength(2);
        }
      });

      it('refuses an id reused with other content and appends nothing', async () => {
        const stream = aStream();
        const original = itemAdded('a', 1);
        await store.appendToStream(stream, [original]);
        const changed = { ...original, data: { sku: 'a', quantity: 2 } };
        await expect(store.appendToStream(stream, [changed])).rejects.toMatchObject({ eventId: original.id });
        await expect(store.appendToStream(stream, [itemAdded('x'), changed])).rejects.toBeInstanceOf(EventIdReusedError);
        expect((await store.readStream(stream)).events.map((event) => event.data)).toEqual([original.data]);
      });

      it.runIf(quirks.detectsIdReuseAcrossStreams)('refuses an id already used in another stream', async () => {
        const event = itemAdded('a');
        await store.appendToStream(aStream(), [event]);
        const other = aStream();
        await expect(store.appendToStream(other, [event])).rejects.toBeInstanceOf(EventIdReusedError);
        expect((await store.readStream(other)).currentRevision).toBe(-1);
      });
    });

    describe('append to several streams', () => {
      it('says whether it commits several streams at once, as the quirks say', () => {
        expect(store.appendToStreams !== undefined).toBe(quirks.appendsToSeveralStreams);
      });

      it('writes every stream, in order, whether in one commit or one after another', async () => {
        const [first, second] = [aStream(), aStream()];
        const after = await endOfLog(store);
        const results = await appendInOrder(store, [
          { streamId: second, events: [itemAdded('a'), itemAdded('b')], expectedRevision: 'no_stream' },
          { streamId: first, events: [itemAdded('c')] },
        ]);
        expect(results.map((result) => [result.nextRevision, result.alreadyAppended])).toEqual([[1, false], [0, false]]);
        expect((await store.readStream(second)).events.at(-1)?.position).toBe(results[0]!.position);
        const { events } = await readAllUntil(store, after, (seen) => seen.filter((event) => event.streamId === first || event.streamId === second).length === 3);
        const ours = events.filter((event) => event.streamId === first || event.streamId === second);
        expect(ours.map((event) => [event.streamId, event.revision])).toEqual([[second, 0], [second, 1], [first, 0]]);
      });

      it.runIf(quirks.appendsToSeveralStreams)('writes nothing when one stream refuses its expected revision', async () => {
        const [fresh, existing] = [aStream(), aStream()];
        await store.appendToStream(existing, [itemAdded('a')]);
        const refused = store.appendToStreams!([
          { streamId: fresh, events: [itemAdded('b')], expectedRevision: 'no_stream' },
          { streamId: existing, events: [itemAdded('c')], expectedRevision: 'no_stream' },
        ]);
        await expect(refused).rejects.toBeInstanceOf(StreamRevisionConflictError);
        await expect(refused).rejects.toMatchObject({ streamId: existing, expectedRevision: 'no_stream', actualRevision: 0 });
        expect((await store.readStream(fresh)).currentRevision).toBe(-1);
        expect((await store.readStream(existing)).currentRevision).toBe(0);
      });

      it.runIf(quirks.appendsToSeveralStreams)('writes nothing when one stream reuses an id with other content', async () => {
        const [fresh, existing] = [aStream(), aStream()];
        const original = itemAdded('a', 1);
        await store.appendToStream(existing, [original]);
        const refused = store.appendToStreams!([
          { streamId: fresh, events: [itemAdded('b')] },
          { streamId: existing, events: [{ ...original, data: { sku: 'a', quantity: 2 } }] },
        ]);
        await expect(refused).rejects.toBeInstanceOf(EventIdReusedError);
        expect((await store.readStream(fresh)).currentRevision).toBe(-1);
      });

      it.runIf(quirks.appendsToSeveralStreams)('treats a repeat of the same appends as a no-op returning the original results', async () => {
        const appends = [
          { streamId: aStream(), events: [itemAdded('a')], expectedRevision: 'no_stream' as const },
          { streamId: aStream(), events: [itemAdded('b'), itemAdded('c')], expectedRevision: 'no_stream' as const },
        ];
        const first = await store.appendToStreams!(appends);
        const again = await store.appendToStreams!(appends);
        // A repeat writes nothing, so it reports nothing written.
        expect(again).toEqual(first.map(({ written: _written, ...result }) => ({ ...result, alreadyAppended: true })));
        const second = await store.readStream(appends[1]!.streamId);
        expect(second.currentRevision).toBe(1);
        expect(first[1]?.written).toEqual(quirks.reportsWritten ? second.events.map(({ position: _position, ...event }) => event) : undefined);
      });

      it.runIf(quirks.appendsToSeveralStreams)('lets concurrent appends to overlapping streams in any order all land, each stream contiguous', async () => {
        const streams = [aStream(), aStream(), aStream()];
        const writers = Array.from({ length: 12 }, (_, writer) => {
          const order = writer % 2 === 0 ? streams : [...streams].reverse();
          return store.appendToStreams!(order.map((stream) => ({ streamId: stream, events: [itemAdded(`w${writer}`)] })));
        });
        await Promise.all(writers);
        for (const stream of streams) {
          const { events } = await store.readStream(stream);
          expect(events.map((event) => event.revision)).toEqual(Array.from({ length: 12 }, (_, index) => index));
        }
      });

      it.runIf(quirks.appendsToSeveralStreams)('refuses a stream named twice and appends nothing', async () => {
        const stream = aStream();
        await expect(store.appendToStreams!([{ streamId: stream, events: [itemAdded('a')] }, { streamId: stream, events: [itemAdded('b')] }])).rejects.toMatchObject({
          code: 'TESSERA_INVALID_APPEND',
        });
        expect((await store.readStream(stream)).currentRevision).toBe(-1);
      });
    });

    describe('bad input', () => {
      it('refuses data that fails its schema, naming the field, and appends nothing', async () => {
        const stream = aStream();
        const bad = { ...itemAdded('a'), data: { sku: 'a', quantity: -1 } };
        const attempt = store.appendToStream(stream, [itemAdded('ok'), bad]);
        await expect(attempt).rejects.toBeInstanceOf(InvalidEventDataError);
        await expect(attempt).rejects.toMatchObject({ field: 'events.1.data.quantity' });
        expect((await store.readStream(stream)).currentRevision).toBe(-1);
      });

      it('refuses unknown event types and malformed envelopes, naming the field', async () => {
        const stream = aStream();
        await expect(store.appendToStream(stream, [{ ...itemAdded('a'), type: 'NoSuchThing' }])).rejects.toBeInstanceOf(
          UnknownEventTypeError,
        );
        await expect(store.appendToStream(stream, [{ ...itemAdded('a'), id: 'nope' as EventId }])).rejects.toMatchObject({
          field: 'events.0.id',
        });
        const noTenant = itemAdded('a');
        noTenant.metadata = { ...noTenant.metadata, tenantId: '' };
        await expect(store.appendToStream(stream, [noTenant])).rejects.toBeInstanceOf(InvalidEventEnvelopeError);
        expect((await store.readStream(stream)).currentRevision).toBe(-1);
      });

      it('refuses a stream name that is not <category>-<id>', async () => {
        for (const name of ['cart', 'Cart-1', '-1', 'cart-']) {
          await expect(store.appendToStream(name as StreamId, [itemAdded('a')])).rejects.toBeInstanceOf(
            InvalidStreamIdError,
          );
        }
      });
    });

    describe('read a stream', () => {
      it('reads forwards and backwards from a revision, bounded by maxCount', async () => {
        const stream = aStream();
        await store.appendToStream(stream, Array.from({ length: 10 }, (_, i) => itemAdded(`s${i}`)));
        const forwards = await store.readStream(stream, { fromRevision: 3, maxCount: 4 });
        expect(forwards.events.map((event) => event.revision)).toEqual([3, 4, 5, 6]);
        expect(forwards.currentRevision).toBe(9);
        const backwards = await store.readStream(stream, { direction: 'backwards', fromRevision: 5, maxCount: 3 });
        expect(backwards.events.map((event) => event.revision)).toEqual([5, 4, 3]);
        const last = await store.readStream(stream, { direction: 'backwards', maxCount: 1 });
        expect(last.events.map((event) => event.revision)).toEqual([9]);
        const past = await store.readStream(stream, { fromRevision: 10 });
        expect(past).toEqual({ events: [], currentRevision: 9 });
      });

      it('reads a missing stream as empty with revision -1', async () => {
        expect(await store.readStream(aStream())).toEqual({ events: [], currentRevision: -1 });
      });
    });

    describe('read $all', () => {
      it('returns every event once, in strictly increasing positions, in batches', async () => {
        const start = await endOfLog(store);
        const streams = [aStream(), aStream(), aStream()];
        const appended: string[] = [];
        for (let round = 0; round < 7; round += 1) {
          for (const stream of streams) {
            const events = [itemAdded(`r${round}`), itemAdded(`r${round}`)];
            await store.appendToStream(stream, events);
            appended.push(...events.map((event) => event.id));
          }
        }
        const mine = new Set(appended);
        const { events, batches } = await readAllUntil(
          store,
          start,
          (seen) => seen.filter((event) => mine.has(event.id)).length === appended.length,
          5,
        );
        expect(events.map((event) => event.id).filter((id) => mine.has(id))).toEqual(appended);
        const positions = events.map((event) => event.position);
        expect(positions.every((position, i) => i === 0 || position > positions[i - 1]!)).toBe(true);
        expect(batches.every((batch) => batch.events.length <= 5)).toBe(true);
        expect(batches.filter((batch) => !batch.isEnd).every((batch) => batch.events.length === 5)).toBe(true);
        const after = batches.at(-1)!.lastPosition;
        expect((await store.readAll({ after })).events.filter((event) => mine.has(event.id))).toEqual([]);
      });

      it('keeps each stream in revision order whatever the interleaving of writers', async () => {
        await fc.assert(
          fc.asyncProperty(
            fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 3 })), {
              minLength: 1,
              maxLength: 25,
            }),
            async (plan) => {
              const start = await endOfLog(store);
              const streams = Array.from({ length: 4 }, aStream);
              await Promise.all(
                plan.map(([stream, size]) =>
                  store.appendToStream(
                    streams[stream]!,
                    Array.from({ length: size }, () => itemAdded('p')),
                  ),
                ),
              );
              const expected = plan.reduce((sum, [, size]) => sum + size, 0);
              const ownEvents = (events: RecordedEvent[]) => events.filter((event) => streams.includes(event.streamId));
              const read = await readAllUntil(store, start, (seen) => ownEvents(seen).length >= expected);
              const mine = ownEvents(read.events);
              expect(mine).toHaveLength(expected);
              for (const stream of streams) {
                const revisions = mine.filter((event) => event.streamId === stream).map((event) => event.revision);
                expect(revisions).toEqual(revisions.map((_, i) => i));
              }
            },
          ),
          { numRuns: 20 },
        );
      });

      it('orders concurrent first appends to one new stream by revision in $all too', async () => {
        for (let trial = 0; trial < 40; trial += 1) {
          const start = await endOfLog(store);
          const stream = aStream();
          await Promise.all(Array.from({ length: 12 }, () => store.appendToStream(stream, [itemAdded('race'), itemAdded('race')])));
          const { events } = await readAllUntil(store, start, (seen) => seen.filter((event) => event.streamId === stream).length === 24);
          const revisions = events.filter((event) => event.streamId === stream).map((event) => event.revision);
          expect(revisions).toEqual(revisions.map((_, index) => index));
        }
      });
    });

    describe('subscribe to $all', () => {
      it('catches up from a checkpoint, then receives new events live, in order', async () => {
        const stream = aStream();
        const before = [itemAdded('old1'), itemAdded('old2')];
        const start = await endOfLog(store);
        await store.appendToStream(stream, before);
        let caughtUp = false;
        const subscription = store.subscribeToAll({ after: start, onCaughtUp: () => (caughtUp = true) });
        const iterator = subscription[Symbol.asyncIterator]();
        const own = (seen: RecordedEvent[]) => seen.filter((event) => event.streamId === stream);
        const history = await collectUntil({ [Symbol.asyncIterator]: () => iterator }, (seen) => own(seen).length === 2);
        expect(own(history).map((event) => event.id)).toEqual(before.map((event) => event.id));

        const live = [itemAdded('new1'), itemAdded('new2'), itemAdded('new3')];
        const receiving = collectUntil({ [Symbol.asyncIterator]: () => iterator }, (seen) => own(seen).length === 3);
        for (const event of live) await store.appendToStream(stream, [event]);
        expect(own(await receiving).map((event) => event.id)).toEqual(live.map((event) => event.id));
        expect(caughtUp).toBe(true);
        await subscription.close();
        expect((await iterator.next()).done).toBe(true);
      });

      it('ends when its signal aborts', async () => {
        const controller = new AbortController();
        const subscription = store.subscribeToAll({ after: await endOfLog(store), signal: controller.signal });
        const next = subscription[Symbol.asyncIterator]().next();
        controller.abort();
        await expect(next).resolves.toMatchObject({ done: true });
      });
    });
  });
}
