import { excludeSystemEvents, type KurrentDBClient, type AllStreamRecordedEvent } from '@kurrent/kurrentdb-client';
import type { RecordedEvent } from '../../../domain/events/envelope.js';
import { isAfter } from '../../../domain/events/global-position.js';
import type { ReadAllOptions, ReadAllResult } from '../port.js';
import { fromClientPosition, toClientPosition } from './client-position.js';
import { isSystemRecord, recordOf, toRecordedEvent } from './map-recorded-event.js';

const DEFAULT_BATCH_SIZE = 1_000;

/**
 * One batch of `$all` after a position. KurrentDB's log has a single writer, so a
 * position once read is never preceded by an event that commits later.
 */
export async function readAll(client: KurrentDBClient, options: ReadAllOptions): Promise<ReadAllResult> {
  const maxCount = options.maxCount ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(maxCount) || maxCount < 1) throw new RangeError(`maxCount must be a positive integer, got ${maxCount}`);
  // One record more than the batch: a read from a position includes the record at that
  // position, and a record left over proves the log goes on, so isEnd needs no extra read.
  const limit = maxCount + 1;
  const records: AllStreamRecordedEvent[] = [];
  // System event types are dropped by the server; `$` streams with ordinary types are
  // rare enough to drop here.
  const read = client.readAll({ fromPosition: toClientPosition(options.after), maxCount: limit, filter: excludeSystemEvents() });
  for await (const resolved of read) records.push(recordOf(resolved));

  const events: RecordedEvent[] = [];
  let lastPosition = options.after;
  for (const record of records) {
    if (events.length === maxCount) break;
    const position = fromClientPosition(record.position);
    if (!isAfter(position, options.after)) continue;
    // Skipped `$`-stream records still move the checkpoint, so a batch of them cannot stall a reader.
    lastPosition = position;
    if (!isSystemRecord(record)) events.push(toRecordedEvent(record));
  }
  return { events, lastPosition, isEnd: records.length < limit };
}
