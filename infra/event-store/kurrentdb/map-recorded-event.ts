import type { Position, RecordedEvent as ClientRecordedEvent } from '@kurrent/kurrentdb-client';
import { z } from 'zod';
import { eventMetadataSchema, type RecordedEvent } from '../../../domain/events/envelope.js';
import type { GlobalPosition } from '../../../domain/events/global-position.js';
import type { EventId } from '../../../domain/shared/ids.js';
import type { StreamId } from '../../../domain/shared/stream-id.js';
import { fromClientPosition } from './client-position.js';

const storedMetadataSchema = eventMetadataSchema.extend({ occurredAt: z.iso.datetime() });

/** A record in the log that this adapter did not write and cannot turn into an envelope. */
export class UnreadableRecordError extends Error {
  constructor(
    readonly streamId: string,
    readonly revision: bigint,
    reason: string,
  ) {
    super(`KurrentDB record ${streamId}@${revision} cannot be read as a Tessera event: ${reason}`);
    this.name = 'UnreadableRecordError';
  }
}

/**
 * KurrentDB's own records — metadata, links, tombstones, statistics — have `$` types or
 * live in `$` streams; they are not part of the port's log.
 */
export function isSystemRecord(record: { type: string; streamId: string }): boolean {
  return record.type.startsWith('$') || record.streamId.startsWith('$');
}

/** Reads never resolve links, so every resolved event carries its record. */
export function recordOf<Inner>(resolved: { event?: Inner }): Inner {
  if (!resolved.event) throw new Error('KurrentDB returned a resolved event without its record');
  return resolved.event;
}

/** Servers before 22.6 leave the `$all` position out of stream reads; the port needs it on every event. */
export function positionOf(record: ClientRecordedEvent): GlobalPosition {
  const position: Position | undefined = record.position;
  if (!position) {
    throw new UnreadableRecordError(record.streamId, record.revision, 'the server did not report its position (KurrentDB 22.6 or later is needed)');
  }
  return fromClientPosition(position);
}

/** The append call that wrote the record (see StoredMetadata), if it says. */
export function appendIdOf(record: ClientRecordedEvent): string | undefined {
  const { metadata } = record;
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata) || metadata instanceof Uint8Array) {
    return undefined;
  }
  const appendId: unknown = metadata.appendId;
  return typeof appendId === 'string' ? appendId : undefined;
}

export function toRecordedEvent(record: ClientRecordedEvent): RecordedEvent {
  if (!record.isJson) throw new UnreadableRecordError(record.streamId, record.revision, 'its data is not JSON');
  const metadata = storedMetadataSchema.safeParse(record.metadata);
  if (!metadata.success) {
    const issue = metadata.error.issues[0];
    throw new UnreadableRecordError(record.streamId, record.revision, `metadata.${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  const { occurredAt, ...eventMetadata } = metadata.data;
  return {
    id: record.id as EventId,
    type: record.type,
    streamId: record.streamId as StreamId,
    revision: Number(record.revision),
    position: positionOf(record),
    occurredAt: new Date(occurredAt),
    data: record.data,
    metadata: eventMetadata,
  };
}
