import type { StreamId } from '../../../domain/shared/stream-id.js';
import type { ReadStreamOptions, ReadStreamResult } from '../port.js';
import { EVENT_COLUMNS, toRecordedEvent, type EventRow } from './event-row.js';
import type { SqlExecutor } from './sql-executor.js';

type StreamRow = { current_revision: string } & ({ [K in keyof EventRow]: EventRow[K] } | { [K in keyof EventRow]: null });

/** One statement, so the events and the current revision come from the same snapshot. */
export async function readStream(
  executor: SqlExecutor,
  streamId: StreamId,
  options: ReadStreamOptions = {},
): Promise<ReadStreamResult> {
  const backwards = options.direction === 'backwards';
  const from = options.fromRevision ?? (backwards ? Number.MAX_SAFE_INTEGER : 0);
  const limit = options.maxCount ?? null;
  const rows = await executor.query<StreamRow>(
    `select s.revision::text as current_revision, e.*
       from tessera_streams s
       left join lateral (
         select ${EVENT_COLUMNS} from tessera_events e
          where e.stream_id = s.stream_id and e.stream_revision ${backwards ? '<=' : '>='} $2
          order by e.stream_revision ${backwards ? 'desc' : 'asc'}
          limit $3
       ) e on true
      where s.stream_id = $1`,
    [streamId, from, limit],
  );
  const first = rows[0];
  if (!first) return { events: [], currentRevision: -1 };
  return {
    events: rows.filter((row): row is StreamRow & EventRow => row.id !== null).map(toRecordedEvent),
    currentRevision: Number(first.current_revision),
  };
}
