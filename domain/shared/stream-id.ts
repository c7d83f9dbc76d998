import type { Brand } from './ids.js';
import { DomainError } from './domain-error.js';

export type StreamId = Brand<string, 'StreamId'>;

/** Categories are one lower-case noun; the id part may hold anything url-safe. */
const STREAM_ID_PATTERN = /^([a-z][a-z0-9]*)-([A-Za-z0-9._:~][A-Za-z0-9._:~-]*)$/;
const MAX_STREAM_ID_LENGTH = 200;

export class InvalidStreamIdError extends DomainError {
  constructor(readonly streamId: string) {
    super(
      'TESSERA_INVALID_STREAM_ID',
      `stream id "${streamId.slice(0, MAX_STREAM_ID_LENGTH)}" does not match <category>-<id>`,
      'streamId',
    );
  }
}

/** Checks the `<category>-<id>` shape and brands the name; throws InvalidStreamIdError otherwise. */
export function toStreamId(value: string): StreamId {
  if (value.length > MAX_STREAM_ID_LENGTH || !STREAM_ID_PATTERN.test(value)) {
    throw new InvalidStreamIdError(value);
  }
  return value as StreamId;
}

export function streamId(category: string, id: string): StreamId {
  return toStreamId(`${category}-${id}`);
}

export function categoryOf(stream: StreamId): string {
  return stream.slice(0, stream.indexOf('-'));
}

export function idOf(stream: StreamId): string {
  return stream.slice(stream.indexOf('-') + 1);
}
