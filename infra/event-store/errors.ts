import { DomainError } from '../../domain/shared/domain-error.js';
import type { ExpectedRevision } from './port.js';

/** Another writer got there first: the stream is not at the revision this writer expected. */
export class StreamRevisionConflictError extends DomainError {
  constructor(
    readonly streamId: string,
    readonly expectedRevision: ExpectedRevision,
    readonly actualRevision: number,
  ) {
    super(
      'TESSERA_STREAM_REVISION_CONFLICT',
      `stream ${streamId}: expected revision ${String(expectedRevision)}, actual ${actualRevision === -1 ? 'no_stream' : actualRevision}`,
      'expectedRevision',
    );
  }
}

/** An event id was reused for different content (or a different stream). */
export class EventIdReusedError extends DomainError {
  constructor(
    readonly eventId: string,
    readonly streamId: string,
  ) {
    super('TESSERA_EVENT_ID_REUSED', `event id ${eventId} already exists with other content (appending to ${streamId})`, 'id');
  }
}

/** An append whose own shape is wrong: empty, duplicate ids, too large. */
export class InvalidAppendError extends DomainError {
  constructor(message: string, field: string) {
    super('TESSERA_INVALID_APPEND', message, field);
  }
}
