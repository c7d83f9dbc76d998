import { BACKWARDS, END, excludeSystemEvents, type KurrentDBClient } from '@kurrent/kurrentdb-client';
import { START_POSITION, type GlobalPosition } from '../../../domain/events/global-position.js';
import { fromClientPosition } from './client-position.js';
import { recordOf } from './map-recorded-event.js';

/** The newest non-system event's position: one backwards read of `$all`. */
export async function headPosition(client: KurrentDBClient): Promise<GlobalPosition> {
  const read = client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1, filter: excludeSystemEvents() });
  for await (const resolved of read) return fromClientPosition(recordOf(resolved).position);
  return START_POSITION;
}
