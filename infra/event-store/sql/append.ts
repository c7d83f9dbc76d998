import type { NewEvent } from '../../../domain/events/envelope.js';
import { toGlobalPosition } from '../../../domain/events/global-position.js';
import type { StreamId } from '../../../domain/shared/stream-id.js';
import { EventIdReusedError, InvalidAppendError, StreamRevisionConflictError } from '../errors.js';
import type { AppendOptions, AppendResult, ExpectedRevision } from '../port.js';
import type { SqlExecutor } from './sql-executor.js';

const MAX_EVENTS_PER_APPEND = 1_000;
const UNIQUE_VIOLATION = '23505';

interface AppendRow {
  outcome: 'appended' | 'duplicate' | 'id_reused' | 'conflict';
  next_revision: string;
  commit_position: string | null;
  prepare_position: string | null;
  detail: string | null;
}

export async function appendToStream(
  executor: SqlExecutor,
  streamId: StreamId,
  events: readonly NewEvent[],
  options: AppendOptions = {},
): Promise<AppendResult> {
  const expected = options.expectedRevision ?? 'any';
  const payload = JSON.stringify(events.map(toStoredJson));
  checkShape(events, expected);
  const append = (checkFirst: boolean) =>
    executor.query<AppendRow>('select * from tessera_append($1, $2, $3::jsonb, $4)', [streamId, encodeExpected(expected), payload, checkFirst]);
  let row: AppendRow | undefined;
  try {
    [row] = await append(expected === 'any');
  } catch (error) {
    // An id already stored (a concurrent copy with 'any', or an id used in another
    // stream) hits the primary key; the second attempt looks first and says which.
    if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
    [row] = await append(true);
  }
  if (!row) throw new Error('tessera_append returned no row');
  switch (row.outcome) {
    case 'appended':
    case 'duplicate':
      return {
        nextRevision: Number(row.next_revision),
        position: toGlobalPosition(row.commit_position ?? '0', row.prepare_position ?? '0'),
        alreadyAppended: row.outcome === 'duplicate',
      };
    case 'conflict':
      throw new StreamRevisionConflictError(streamId, expected, Number(row.next_revision));
    case 'id_reused':
      throw new EventIdReusedError(row.detail ?? '', streamId);
  }
}

function checkShape(events: readonly NewEvent[], expected: ExpectedRevision): void {
  if (events.length === 0) throw new InvalidAppendError('an append needs at least one event', 'events');
  if (events.length > MAX_EVENTS_PER_APPEND) {
    throw new InvalidAppendError(`an append holds at most ${MAX_EVENTS_PER_APPEND} events`, 'events');
  }
  if (typeof expected === 'number' && (!Number.isSafeInteger(expected) || expected < -1)) {
    throw new InvalidAppendError(`expected revision ${expected} is not a revision`, 'expectedRevision');
  }
  const ids = new Set(events.map((event) => event.id));
  if (ids.size !== events.length) throw new InvalidAppendError('event ids repeat within one append', 'events.id');
}

/** -1 and -2 stand for no_stream and any inside SQL; an exact -1 means "empty stream", i.e. no_stream. */
function encodeExpected(expected: ExpectedRevision): number {
  if (expected === 'no_stream') return -1;
  if (expected === 'any') return -2;
  return expected;
}

function toStoredJson(event: NewEvent) {
  return {
    id: event.id,
    type: event.type,
    data: event.data,
    metadata: { ...event.metadata, schemaVersion: event.metadata.schemaVersion ?? 1 },
    occurredAt: (event.occurredAt ?? new Date()).toISOString(),
  };
}
