import { jsonEvent, type EventData, type JSONType } from '@kurrent/kurrentdb-client';
import type { EventMetadata, NewEvent } from '../../../domain/events/envelope.js';

/**
 * Metadata as KurrentDB holds it: ours plus `occurredAt`, which the envelope carries
 * beside the metadata but KurrentDB has no field for (its `created` is the write time),
 * and `appendId`, which tells a writer its own write from KurrentDB's idempotent
 * "success" for somebody else's write of the same ids.
 */
export type StoredMetadata = EventMetadata & { occurredAt: string; appendId: string };

/** Writers may leave the version to the schema registry; an event stored without one reads as version 1. */
const DEFAULT_SCHEMA_VERSION = 1;

/** A JSON event whose KurrentDB id is our event id, so the server's own deduplication sees our ids too. */
export function toEventData(event: NewEvent, append: { appendId: string; appendedAt: Date }): EventData {
  const { tenantId, userId, correlationId, causationId, traceparent, schemaVersion } = event.metadata;
  const metadata: StoredMetadata = {
    tenantId,
    userId,
    correlationId,
    causationId,
    traceparent,
    schemaVersion: schemaVersion ?? DEFAULT_SCHEMA_VERSION,
    occurredAt: (event.occurredAt ?? append.appendedAt).toISOString(),
    appendId: append.appendId,
  };
  return jsonEvent({ id: event.id, type: event.type, data: event.data as JSONType, metadata });
}
