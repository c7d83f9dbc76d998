import { z } from 'zod';
import type { EventId } from '../shared/ids.js';
import type { StreamId } from '../shared/stream-id.js';
import type { GlobalPosition } from './global-position.js';

const W3C_TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

export const eventMetadataSchema = z.object({
  tenantId: z.string().min(1).max(200),
  userId: z.string().min(1).max(200).optional(),
  correlationId: z.string().min(1).max(200),
  causationId: z.string().min(1).max(200),
  traceparent: z.string().regex(W3C_TRACEPARENT, 'must be a W3C traceparent').optional(),
  schemaVersion: z.number().int().min(1),
});

export type EventMetadata = z.infer<typeof eventMetadataSchema>;

/** Metadata as a writer supplies it; the schema registry fills in the version. */
export type EventMetadataInput = Omit<EventMetadata, 'schemaVersion'> & { schemaVersion?: number };

/** An event about to be appended. */
export interface NewEvent<Type extends string = string, Data = unknown> {
  id: EventId;
  type: Type;
  data: Data;
  metadata: EventMetadataInput;
  /** Defaults to the time of the append. */
  occurredAt?: Date;
}

/** An event as the log holds it: the envelope of DESIGN.md. */
export interface RecordedEvent<Type extends string = string, Data = unknown> {
  id: EventId;
  type: Type;
  streamId: StreamId;
  /** Zero-based index of the event within its stream. */
  revision: number;
  /** Place in the global order of `$all`. */
  position: GlobalPosition;
  occurredAt: Date;
  data: Data;
  metadata: EventMetadata;
}

/** A recorded event without its place in `$all`: what a reader of one stream needs, and what an append knows without reading back. */
export type StreamEvent<Type extends string = string, Data = unknown> = Omit<RecordedEvent<Type, Data>, 'position'>;

export const eventIdSchema = z.uuid();
export const eventTypeSchema = z.string().regex(/^[A-Z][A-Za-z0-9]*$/, 'must be PascalCase').max(100);
