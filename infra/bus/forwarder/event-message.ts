import type { RecordedEvent } from '../../../domain/events/envelope.js';
import { parseGlobalPosition, type GlobalPosition } from '../../../domain/events/global-position.js';
import { categoryOf } from '../../../domain/shared/stream-id.js';
import type { BusMessage } from '../port.js';

export const DEFAULT_EVENT_SUBJECT_PREFIX = 'tessera.events';
export const POSITION_HEADER = 'Tessera-Position';

/** `<prefix>.<category>.<type>`: handlers subscribe by stream category and event type. */
export function eventSubject(event: Pick<RecordedEvent, 'streamId' | 'type'>, prefix = DEFAULT_EVENT_SUBJECT_PREFIX): string {
  return `${prefix}.${categoryOf(event.streamId)}.${event.type}`;
}

/** Subjects matching some event types of one category, for consumer filters. */
export function eventSubjects(category: string, types: readonly string[] | '*', prefix = DEFAULT_EVENT_SUBJECT_PREFIX): string[] {
  return types === '*' ? [`${prefix}.${category}.*`] : types.map((type) => `${prefix}.${category}.${type}`);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The message id is the event id, so the bus drops a re-published event. */
export function toEventMessage(event: RecordedEvent, prefix = DEFAULT_EVENT_SUBJECT_PREFIX): BusMessage {
  const headers: Record<string, string> = {
    [POSITION_HEADER]: event.position,
    'Tessera-Tenant': event.metadata.tenantId,
  };
  if (event.metadata.traceparent) headers.traceparent = event.metadata.traceparent;
  return { id: event.id, subject: eventSubject(event, prefix), payload: encoder.encode(JSON.stringify(event)), headers };
}

interface SerializedEvent extends Omit<RecordedEvent, 'occurredAt'> {
  occurredAt: string;
}

export function fromEventMessage(message: BusMessage): RecordedEvent {
  const parsed = JSON.parse(decoder.decode(message.payload)) as SerializedEvent;
  return {
    ...parsed,
    position: parseGlobalPosition(parsed.position),
    occurredAt: new Date(parsed.occurredAt),
  };
}

export function positionOf(message: BusMessage): GlobalPosition | undefined {
  const header = message.headers?.[POSITION_HEADER];
  return header ? parseGlobalPosition(header) : undefined;
}
