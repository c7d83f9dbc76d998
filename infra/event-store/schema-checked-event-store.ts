import { z } from 'zod';
import type { EventRegistry } from '../../domain/events/event-registry.js';
import { eventIdSchema, eventMetadataSchema, eventTypeSchema, type NewEvent, type RecordedEvent } from '../../domain/events/envelope.js';
import { DomainError } from '../../domain/shared/domain-error.js';
import { toStreamId, type StreamId } from '../../domain/shared/stream-id.js';
import type { AllSubscription, EventStore } from './port.js';

export class InvalidEventEnvelopeError extends DomainError {
  constructor(message: string, field: string) {
    super('TESSERA_INVALID_EVENT_ENVELOPE', message, field);
  }
}

const envelopeSchema = z.object({
  id: eventIdSchema,
  type: eventTypeSchema,
  metadata: eventMetadataSchema.omit({ schemaVersion: true }),
});

/**
 * The store as the rest of Tessera sees it: stream names and envelopes are checked,
 * data is validated against its registered schema before anything is written, and
 * events read back are upcast to the current version and validated again (for a
 * subscription, when their data is first read).
 */
export function withEventSchemas(store: EventStore, registry: EventRegistry): EventStore {
  const decode = (event: RecordedEvent): RecordedEvent => ({
    ...event,
    data: registry.decode(event.type, event.metadata.schemaVersion, event.data),
    metadata: { ...event.metadata, schemaVersion: registry.currentVersion(event.type) },
  });
  // Live subscribers of a process are handed the very same event objects (one shared
  // read of the log's tail), so each is checked and upcast once, not once per subscriber;
  // and only when its data is read, since most subscribers pass most events over by
  // stream or type (the turn hub, the forwarder, projections).
  const decodedOnce = new WeakMap<RecordedEvent, RecordedEvent>();
  const decodeShared = (event: RecordedEvent): RecordedEvent => {
    let decoded = decodedOnce.get(event);
    if (!decoded) decodedOnce.set(event, (decoded = decodeOnRead(event)));
    return decoded;
  };
  const decodeOnRead = (event: RecordedEvent): RecordedEvent => {
    let data: unknown;
    let decoded = false;
    const lazy = { ...event, metadata: { ...event.metadata, schemaVersion: registry.currentVersion(event.type) } };
    return Object.defineProperty(lazy, 'data', {
      enumerable: true,
      get() {
        if (!decoded) {
          data = registry.decode(event.type, event.metadata.schemaVersion, event.data);
          decoded = true;
        }
        return data;
      },
    });
  };

  return {
    async appendToStream(streamId, events, options) {
      const checkedStream = toStreamId(streamId);
      const checked = events.map((event, index) => encode(registry, event, index));
      return store.appendToStream(checkedStream, checked, options);
    },
    appendToStreams: store.appendToStreams
      ? async (appends, options) =>
          store.appendToStreams!(
            appends.map((append) => ({ ...append, streamId: toStreamId(append.streamId), events: append.events.map((event, index) => encode(registry, event, index)) })),
            options,
          )
      : undefined,
    async readStream(streamId: StreamId, options) {
      const result = await store.readStream(toStreamId(streamId), options);
      return { ...result, events: result.events.map(decode) };
    },
    async readAll(options) {
      const result = await store.readAll(options);
      return { ...result, events: result.events.map(decode) };
    },
    subscribeToAll(options): AllSubscription {
      const inner = store.subscribeToAll(options);
      return {
        async *[Symbol.asyncIterator]() {
          for await (const event of inner) yield decodeShared(event);
        },
        close: () => inner.close(),
      };
    },
    headPosition: () => store.headPosition(),
    countEvents: store.countEvents?.bind(store),
    announceNow: store.announceNow?.bind(store),
    close: () => store.close(),
  };
}

function encode(registry: EventRegistry, event: NewEvent, index: number): NewEvent {
  const envelope = envelopeSchema.safeParse(event);
  if (!envelope.success) {
    const issue = envelope.error.issues[0];
    const field = ['events', String(index), ...(issue?.path ?? []).map(String)].join('.');
    throw new InvalidEventEnvelopeError(`${field}: ${issue?.message ?? 'invalid'}`, field);
  }
  try {
    const { data, schemaVersion } = registry.encode(event.type, event.data);
    return { ...event, data, metadata: { ...event.metadata, schemaVersion } };
  } catch (error) {
    if (DomainError.isInstance(error) && error.field) {
      Object.assign(error, { field: `events.${index}.${error.field}` });
    }
    throw error;
  }
}
