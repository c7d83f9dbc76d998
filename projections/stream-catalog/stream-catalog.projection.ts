import { sql } from 'kysely';
import type { RecordedEvent } from '../../domain/events/envelope.js';
import { categoryOf } from '../../domain/shared/stream-id.js';
import type { Projection } from '../projection.js';
import * as createStreamCatalog from './migrations/2026-11-23-0001-create-stream-catalog.js';
import type { NewStreamCatalogRow } from './stream-catalog.table.js';

/**
 * Every stream with its tenant, size and last activity. A batch is folded per stream
 * in memory and written as one multi-row upsert, which is what makes rebuilds fast.
 */
export const streamCatalogProjection: Projection = {
  name: 'stream-catalog',
  version: 1,
  eventTypes: 'all',
  migrations: { '2026-11-23-0001-create-stream-catalog': createStreamCatalog },
  tables: ['stream_catalog'],
  async apply(transaction, events) {
    const rows = foldByStream(events);
    await transaction
      .insertInto('stream_catalog')
      .values(rows)
      .onConflict((conflict) =>
        conflict.column('stream_id').doUpdateSet({
          event_count: sql`stream_catalog.event_count + excluded.event_count`,
          last_revision: sql`greatest(stream_catalog.last_revision, excluded.last_revision)`,
          last_event_type: sql`case when excluded.last_revision > stream_catalog.last_revision
                                    then excluded.last_event_type else stream_catalog.last_event_type end`,
          last_event_at: sql`greatest(stream_catalog.last_event_at, excluded.last_event_at)`,
          first_event_at: sql`least(stream_catalog.first_event_at, excluded.first_event_at)`,
        }),
      )
      .execute();
  },
};

function foldByStream(events: readonly RecordedEvent[]): NewStreamCatalogRow[] {
  const byStream = new Map<string, NewStreamCatalogRow>();
  for (const event of events) {
    const row = byStream.get(event.streamId);
    if (!row) {
      byStream.set(event.streamId, {
        stream_id: event.streamId,
        category: categoryOf(event.streamId),
        tenant_id: event.metadata.tenantId,
        event_count: '1',
        last_revision: String(event.revision),
        last_event_type: event.type,
        first_event_at: event.occurredAt,
        last_event_at: event.occurredAt,
      });
      continue;
    }
    row.event_count = String(Number(row.event_count) + 1);
    row.last_revision = String(event.revision);
    row.last_event_type = event.type;
    if (event.occurredAt > row.last_event_at) row.last_event_at = event.occurredAt;
    if (event.occurredAt < row.first_event_at) row.first_event_at = event.occurredAt;
  }
  return [...byStream.values()];
}
