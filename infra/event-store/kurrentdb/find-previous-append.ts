import { isDeepStrictEqual } from 'node:util';
import { BACKWARDS, END, FORWARDS, type KurrentDBClient, type RecordedEvent as ClientRecordedEvent } from '@kurrent/kurrentdb-client';
import type { NewEvent } from '../../../domain/events/envelope.js';
import type { GlobalPosition } from '../../../domain/events/global-position.js';
import type { StreamId } from '../../../domain/shared/stream-id.js';
import { EventIdReusedError } from '../errors.js';
import type { ExpectedRevision } from '../port.js';
import { collectStream } from './collect-stream.js';
import { positionOf } from './map-recorded-event.js';

export interface PreviousAppendCheck {
  /** The stream's last revision when it was checked, -1 when it does not exist. */
  currentRevision: number;
  /** Set when every incoming event is already in the stream with the same content. */
  previous?: { nextRevision: number; position: GlobalPosition };
}

/**
 * Looks for the incoming event ids in the stream, because KurrentDB only deduplicates
 * ids right at the expected position and the port promises more: a retry anywhere in
 * the recent past is recognised, and a reused id is refused. The search covers the
 * stream's last `window` events plus the revisions the expected revision implies; an id
 * used in another stream, or further back, is not seen (KurrentDB has no id index).
 * Throws EventIdReusedError when an id is there with other content.
 */
export async function findPreviousAppend(
  client: KurrentDBClient,
  streamId: StreamId,
  events: readonly NewEvent[],
  expectedRevision: ExpectedRevision,
  window: number,
): Promise<PreviousAppendCheck> {
  const recent = await readRange(client, streamId, BACKWARDS, END, Math.max(1, window));
  if (!recent.length) return { currentRevision: -1 };
  const currentRevision = Number(recent[0]?.revision ?? -1);
  const oldestInWindow = Number(recent.at(-1)?.revision ?? 0);

  const stored = new Map<string, ClientRecordedEvent>();
  const remember = (records: readonly ClientRecordedEvent[]) => {
    for (const record of records) stored.set(record.id.toLowerCase(), record);
  };
  const match = () => events.map((event) => ({ event, record: stored.get(event.id.toLowerCase()) }));
  remember(recent);

  const impliedStart = expectedRevision === 'no_stream' ? 0 : expectedRevision === 'any' ? undefined : expectedRevision + 1;
  if (impliedStart !== undefined && impliedStart < oldestInWindow) {
    remember(await readRange(client, streamId, FORWARDS, BigInt(impliedStart), events.length));
  }
  let matches = match();
  if (matches.every(({ record }) => record === undefined)) return { currentRevision };

  // An earlier append of this batch straddling the window's edge is only partly in it;
  // the first id found tells where the whole batch would be.
  const anchor = matches.findIndex(({ record }) => record !== undefined);
  const batchStart = Number(matches[anchor]?.record?.revision ?? 0) - anchor;
  if (matches.some(({ record }) => record === undefined) && batchStart >= 0 && batchStart < oldestInWindow) {
    remember(await readRange(client, streamId, FORWARDS, BigInt(batchStart), events.length));
    matches = match();
  }

  // A batch that is only partly stored is not a retry either: it reuses the stored ids.
  const partial = matches.some(({ record }) => record === undefined);
  const reused = matches.find(({ event, record }) => record !== undefined && (partial || !sameContent(event, record)));
  if (reused) throw new EventIdReusedError(reused.event.id, streamId);

  const last = matches
    .map(({ record }) => record as ClientRecordedEvent)
    .reduce((latest, record) => (record.revision > latest.revision ? record : latest));
  return { currentRevision, previous: { nextRevision: Number(last.revision), position: positionOf(last) } };
}

/** The leader has every acknowledged write; a follower might not yet have the one being retried. */
async function readRange(
  client: KurrentDBClient,
  streamId: StreamId,
  direction: typeof FORWARDS | typeof BACKWARDS,
  fromRevision: bigint | typeof END,
  maxCount: number,
): Promise<ClientRecordedEvent[]> {
  return (await collectStream(client, streamId, { direction, fromRevision, maxCount, requiresLeader: true })) ?? [];
}

/**
 * Same type and same data, compared as JSON values (key order aside), as the PostgreSQL
 * store compares jsonb. Metadata and occurredAt differ between retries by nature.
 */
function sameContent(event: NewEvent, record: ClientRecordedEvent): boolean {
  if (record.type !== event.type || !record.isJson) return false;
  return isDeepStrictEqual(record.data, JSON.parse(JSON.stringify(event.data)) as unknown);
}
