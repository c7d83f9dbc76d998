import { parse as parseUuid, v5 as uuidV5, v7 as uuidV7, validate as isUuid } from 'uuid';

declare const brand: unique symbol;
/** A string that the type checker keeps apart from other strings of the same shape. */
export type Brand<T, Name extends string> = T & { readonly [brand]: Name };

export type EventId = Brand<string, 'EventId'>;

/** Namespace for name-based ids; changing it would change every derived id in history. */
const TESSERA_NAMESPACE = '6f1c8f63-6a0e-4f8e-9d7c-3f4b8f1e2a10';
/** Parsed once: every event a handler writes takes an id from it. */
const TESSERA_NAMESPACE_BYTES = parseUuid(TESSERA_NAMESPACE);

/**
 * A new, time-ordered id (UUIDv7): ids minted later sort later, which keeps
 * B-tree inserts local and makes ids readable as a rough timeline.
 */
export function newId<T extends string = string>(): T {
  return uuidV7() as T;
}

/**
 * The id of something a handler produces in reaction to `causationId` at `step`.
 * A redelivered message yields the same id, so the store turns the retry into a no-op.
 */
export function deterministicId<T extends string = string>(causationId: string, step: string): T {
  // Bytes, not a string, for both: the library's own UTF-8 encoding of the name costs more than the hash.
  return uuidV5(Buffer.from(`${causationId}\u0000${step}`, 'utf8'), TESSERA_NAMESPACE_BYTES) as T;
}

export function isId(value: string): boolean {
  return isUuid(value);
}
