import { BACKWARDS, END, FORWARDS, START, type KurrentDBClient } from '@kurrent/kurrentdb-client';
import type { RecordedEvent } from '../../../domain/events/envelope.js';
import type { StreamId } from '../../../domain/shared/stream-id.js';
import type { ReadStreamOptions, ReadStreamResult } from '../port.js';
import { collectStream, readLastRecord } from './collect-stream.js';
import { toRecordedEvent } from './map-recorded-event.js';

/** Reads one stream; a stream KurrentDB does not know is an empty stream at revision -1. */
export async function readStream(
  client: KurrentDBClient,
  streamId: StreamId,
  options: ReadStreamOptions = {},
): Promise<ReadStreamResult> {
  const backwards = options.direction === 'backwards';
  const { fromRevision, maxCount } = options;
  if (maxCount !== undefined && maxCount < 1) {
    return { events: [], currentRevision: await readCurrentRevision(client, streamId) };
  }
  const records = await collectStream(client, streamId, {
    direction: backwards ? BACKWARDS : FORWARDS,
    fromRevision: fromRevision === undefined ? (backwards ? END : START) : BigInt(fromRevision),
    ...(maxCount === undefined ? {} : { maxCount }),
  });
  if (!records) return { events: [], currentRevision: -1 };
  const events = records.map(toRecordedEvent);
  const currentRevision = lastRevisionSeen(events, options) ?? (await readCurrentRevision(client, streamId));
  return { events, currentRevision };
}

/**
 * The stream's last revision when this read already reached the end: a backwards read
 * from the end starts there, a forwards read that came back short stopped there.
 */
function lastRevisionSeen(events: readonly RecordedEvent[], options: ReadStreamOptions): number | undefined {
  if (options.direction === 'backwards') {
    return options.fromRevision === undefined ? events[0]?.revision : undefined;
  }
  const reachedEnd = options.maxCount === undefined || events.length < options.maxCount;
  return reachedEnd ? events.at(-1)?.revision : undefined;
}

async function readCurrentRevision(client: KurrentDBClient, streamId: StreamId): Promise<number> {
  const last = await readLastRecord(client, streamId);
  return last === undefined ? -1 : Number(last.revision);
}
