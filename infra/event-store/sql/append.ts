import type { EventMetadata, NewEvent, StreamEvent } from '../../../domain/events/envelope.js';
import { toGlobalPosition } from '../../../domain/events/global-position.js';
import type { StreamId } from '../../../domain/shared/stream-id.js';
import { EventIdReusedError, InvalidAppendError, StreamRevisionConflictError } from '../errors.js';
import type { AppendOptions, AppendResult, ExpectedRevision, StreamAppend } from '../port.js';
import type { SqlExecutor } from './sql-executor.js';

const MAX_EVENTS_PER_APPEND = 1_000;
const UNIQUE_VIOLATION = '23505';
// Columns named, not `*`: a prepared statement kept on a pooled connection would fail for
// good if a later migration changed the functions' result columns under it.
const APPEND_STATEMENT = 'select outcome, next_revision, commit_position, prepare_position, detail from tessera_append($1, $2, $3::jsonb, $4)';
const APPEND_STREAMS_STATEMENT =
  'select stream_id, outcome, next_revision, commit_position, prepare_position from tessera_append_streams($1::jsonb, $2)';

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
  checkShape(events, expected);
  const stored = events.map(toStored);
  const payload = JSON.stringify(stored.map((event) => event.json));
  const append = (checkFirst: boolean) =>
    executor.query<AppendRow>(APPEND_STATEMENT, [streamId, encodeExpected(expected), payload, checkFirst]);
  const [row] = await checkingIdsOnReuse(append, expected === 'any');
  if (!row) throw new Error('tessera_append returned no row');
  switch (row.outcome) {
    case 'appended':
    case 'duplicate':
      return appendResultOf(row, streamId, stored);
    case 'conflict':
      throw new StreamRevisionConflictError(streamId, expected, Number(row.next_revision));
    case 'id_reused':
      throw new EventIdReusedError(row.detail ?? '', streamId);
  }
}

interface StreamAppendRow extends Omit<AppendRow, 'detail' | 'outcome'> {
  stream_id: string;
  outcome: 'appended' | 'duplicate';
}

/** Raised by tessera_append_streams so that a refused stream rolls back the others. */
const REFUSED = { conflict: 'TS409', idReused: 'TS422' } as const;

/** Several streams in one statement, so in one transaction: all are written or none. */
export async function appendToStreams(executor: SqlExecutor, appends: readonly StreamAppend[]): Promise<AppendResult[]> {
  if (appends.length === 0) throw new InvalidAppendError('an append needs at least one stream', 'appends');
  if (new Set(appends.map((append) => append.streamId)).size !== appends.length) {
    throw new InvalidAppendError('a stream appears twice in one append', 'appends.streamId');
  }
  for (const append of appends) checkShape(append.events, append.expectedRevision ?? 'any');
  const allIds = appends.flatMap((append) => append.events.map((event) => event.id));
  if (new Set(allIds).size !== allIds.length) throw new InvalidAppendError('event ids repeat within one append', 'events.id');
  const stored = appends.map((append) => append.events.map(toStored));
  const payload = JSON.stringify(
    appends.map((append, index) => ({ streamId: append.streamId, expected: encodeExpected(append.expectedRevision ?? 'any'), events: stored[index]!.map((event) => event.json) })),
  );
  const append = (checkFirst: boolean) => executor.query<StreamAppendRow>(APPEND_STREAMS_STATEMENT, [payload, checkFirst]);
  let rows: StreamAppendRow[];
  try {
    rows = await checkingIdsOnReuse(append, false);
  } catch (error) {
    throw refusal(error, appends) ?? error;
  }
  return rows.map((row, index) => appendResultOf(row, appends[index]!.streamId, stored[index]!));
}

/**
 * An id already stored (a concurrent copy with 'any', or an id used in another stream)
 * hits the primary key; the second attempt looks first and says which.
 */
async function checkingIdsOnReuse<Row>(append: (checkFirst: boolean) => Promise<Row[]>, checkFirst: boolean): Promise<Row[]> {
  try {
    return await append(checkFirst);
  } catch (error) {
    if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
    return append(true);
  }
}

function appendResultOf(
  row: Pick<AppendRow, 'outcome' | 'next_revision' | 'commit_position' | 'prepare_position'>,
  streamId: StreamId,
  stored: readonly StoredEvent[],
): AppendResult {
  const nextRevision = Number(row.next_revision);
  const position = toGlobalPosition(row.commit_position ?? '0', row.prepare_position ?? '0');
  if (row.outcome === 'duplicate') return { nextRevision, position, alreadyAppended: true };
  const firstRevision = nextRevision - stored.length + 1;
  const written = stored.map(({ json, occurredAt }, index): StreamEvent => ({
    id: json.id,
    type: json.type,
    streamId,
    revision: firstRevision + index,
    occurredAt,
    data: json.data,
    metadata: json.metadata,
  }));
  return { nextRevision, position, alreadyAppended: false, written };
}

function refusal(error: unknown, appends: readonly StreamAppend[]): Error | undefined {
  const { code, detail } = error as { code?: string; detail?: string };
  if (code !== REFUSED.conflict && code !== REFUSED.idReused) return undefined;
  const refused = JSON.parse(detail ?? '{}') as { streamId: string; nextRevision: number | null; eventId: string | null };
  if (code === REFUSED.idReused) return new EventIdReusedError(refused.eventId ?? '', refused.streamId);
  const expected = appends.find((append) => append.streamId === refused.streamId)?.expectedRevision ?? 'any';
  return new StreamRevisionConflictError(refused.streamId, expected, Number(refused.nextRevision ?? -1));
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

/** An event as sent to the database, with its time as a date for what the append reports back. */
interface StoredEvent {
  json: { id: NewEvent['id']; type: string; data: unknown; metadata: EventMetadata; occurredAt: string };
  occurredAt: Date;
}

function toStored(event: NewEvent): StoredEvent {
  const occurredAt = event.occurredAt ?? new Date();
  const metadata = { ...event.metadata, schemaVersion: event.metadata.schemaVersion ?? 1 };
  return { json: { id: event.id, type: event.type, data: event.data, metadata, occurredAt: occurredAt.toISOString() }, occurredAt };
}
