import type { EventMetadata, RecordedEvent } from '../../../domain/events/envelope.js';
import { toGlobalPosition } from '../../../domain/events/global-position.js';
import type { EventId } from '../../../domain/shared/ids.js';
import type { StreamId } from '../../../domain/shared/stream-id.js';

/**
 * Columns every read selects from `tessera_events e`. Bigints come back as text from
 * both drivers; the aliases differ from the column names so that an ORDER BY on a
 * column never sorts the text alias instead.
 */
export const EVENT_COLUMNS = `e.event_id::text as id, e.stream_id as stream, e.stream_revision::text as revision_text,
  e.transaction_id::text as commit_text, e.global_position::text as prepare_text, e.event_type as type,
  e.data, e.metadata, (extract(epoch from e.occurred_at) * 1000)::float8 as occurred_at_ms`;

export interface EventRow {
  id: string;
  stream: string;
  revision_text: string;
  commit_text: string;
  prepare_text: string;
  type: string;
  data: unknown;
  metadata: EventMetadata;
  occurred_at_ms: number;
}

export function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    id: row.id as EventId,
    type: row.type,
    streamId: row.stream as StreamId,
    revision: Number(row.revision_text),
    position: toGlobalPosition(row.commit_text, row.prepare_text),
    occurredAt: new Date(row.occurred_at_ms),
    data: row.data,
    metadata: row.metadata,
  };
}
