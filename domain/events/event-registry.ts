import type { z } from 'zod';
import { DomainError } from '../shared/domain-error.js';
import type { EventTypeDefinition } from './event-type.js';

export class UnknownEventTypeError extends DomainError {
  constructor(readonly eventType: string) {
    super('TESSERA_UNKNOWN_EVENT_TYPE', `event type "${eventType}" is not registered`, 'type');
  }
}

export class InvalidEventDataError extends DomainError {
  constructor(
    readonly eventType: string,
    readonly issues: readonly z.core.$ZodIssue[],
  ) {
    const first = issues[0];
    const path = ['data', ...(first?.path ?? []).map(String)].join('.');
    super('TESSERA_INVALID_EVENT_DATA', `${eventType}: ${path}: ${first?.message ?? 'invalid'}`, path);
  }
}

export class UnsupportedSchemaVersionError extends DomainError {
  constructor(eventType: string, version: number, current: number) {
    super(
      'TESSERA_UNSUPPORTED_SCHEMA_VERSION',
      `${eventType} v${version} is newer than this build understands (v${current})`,
      'metadata.schemaVersion',
    );
  }
}

/** What a write stores: the validated data and the version it was validated against. */
export interface EncodedEvent {
  data: unknown;
  schemaVersion: number;
}

/** Every event type the log may hold, with schemas checked on write and upcasts applied on read. */
export class EventRegistry {
  private readonly definitions = new Map<string, EventTypeDefinition>();

  constructor(definitions: Iterable<EventTypeDefinition> = []) {
    for (const definition of definitions) this.register(definition);
  }

  register(definition: EventTypeDefinition): this {
    if (this.definitions.has(definition.type)) {
      throw new Error(`event type ${definition.type} is registered twice`);
    }
    this.definitions.set(definition.type, definition);
    return this;
  }

  has(type: string): boolean {
    return this.definitions.has(type);
  }

  /** The version `decode` upcasts to. */
  currentVersion(type: string): number {
    return this.definitionOf(type).version;
  }

  /** Validates data against the current schema before it is written. */
  encode(type: string, data: unknown): EncodedEvent {
    const definition = this.definitionOf(type);
    return { data: parse(definition, data), schemaVersion: definition.version };
  }

  /** Upcasts stored data to the current version and validates it. */
  decode(type: string, schemaVersion: number, data: unknown): unknown {
    const definition = this.definitionOf(type);
    if (schemaVersion > definition.version) {
      throw new UnsupportedSchemaVersionError(type, schemaVersion, definition.version);
    }
    let current = data;
    for (let version = schemaVersion; version < definition.version; version += 1) {
      const upcast = definition.upcasters?.[version];
      if (!upcast) throw new Error(`${type} has no upcaster from v${version}`);
      current = upcast(current);
    }
    return parse(definition, current);
  }

  private definitionOf(type: string): EventTypeDefinition {
    const definition = this.definitions.get(type);
    if (!definition) throw new UnknownEventTypeError(type);
    return definition;
  }
}

function parse(definition: EventTypeDefinition, data: unknown): unknown {
  const result = definition.schema.safeParse(data);
  if (!result.success) throw new InvalidEventDataError(definition.type, result.error.issues);
  return result.data;
}
