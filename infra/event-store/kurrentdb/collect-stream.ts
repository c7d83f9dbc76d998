import {
  BACKWARDS,
  END,
  StreamNotFoundError,
  type KurrentDBClient,
  type ReadStreamOptions as ClientReadStreamOptions,
  type RecordedEvent as ClientRecordedEvent,
} from '@kurrent/kurrentdb-client';
import type { StreamId } from '../../../domain/shared/stream-id.js';
import { recordOf } from './map-recorded-event.js';

/** One read of a stream, whole; undefined when the stream does not exist. */
export async function collectStream(
  client: KurrentDBClient,
  streamId: StreamId,
  options: ClientReadStreamOptions,
): Promise<ClientRecordedEvent[] | undefined> {
  const records: ClientRecordedEvent[] = [];
  try {
    for await (const resolved of client.readStream(streamId, options)) records.push(recordOf(resolved));
  } catch (error) {
    if (error instanceof StreamNotFoundError) return undefined;
    throw error;
  }
  return records;
}

/** The stream's last record, or undefined when the stream does not exist. */
export async function readLastRecord(
  client: KurrentDBClient,
  streamId: StreamId,
  options: Pick<ClientReadStreamOptions, 'requiresLeader'> = {},
): Promise<ClientRecordedEvent | undefined> {
  const records = await collectStream(client, streamId, { ...options, direction: BACKWARDS, fromRevision: END, maxCount: 1 });
  return records?.[0];
}
