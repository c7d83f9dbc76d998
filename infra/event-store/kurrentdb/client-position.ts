import { START, type Position, type ReadPosition } from '@kurrent/kurrentdb-client';
import {
  START_POSITION,
  positionParts,
  toGlobalPosition,
  type GlobalPosition,
} from '../../../domain/events/global-position.js';

/**
 * Where a client read or subscription should begin for "after `after`". The log's
 * beginning is passed as START rather than 0:0, so no record at offset zero is skipped
 * by a server that treats a subscription's position as exclusive.
 */
export function toClientPosition(after: GlobalPosition): ReadPosition {
  if (after === START_POSITION) return START;
  const { commit, prepare } = positionParts(after);
  return { commit, prepare };
}

export function fromClientPosition(position: Position): GlobalPosition {
  return toGlobalPosition(position.commit, position.prepare);
}
