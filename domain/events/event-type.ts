import type { z } from 'zod';

/** Turns the data of one schema version into the data of the next. */
export type Upcaster = (data: unknown) => unknown;

/**
 * One event type: its current schema and how older stored versions reach it.
 * `upcasters[n]` lifts version n to n + 1, so every version from 1 to `version` - 1
 * needs one.
 */
export interface EventTypeDefinition<Type extends string = string, Schema extends z.ZodType = z.ZodType> {
  type: Type;
  version: number;
  schema: Schema;
  upcasters?: Readonly<Record<number, Upcaster>>;
}

export function defineEventType<Type extends string, Schema extends z.ZodType>(
  definition: EventTypeDefinition<Type, Schema>,
): EventTypeDefinition<Type, Schema> {
  for (let version = 1; version < definition.version; version += 1) {
    if (!definition.upcasters?.[version]) {
      throw new Error(`${definition.type} v${definition.version} has no upcaster from v${version}`);
    }
  }
  return definition;
}

/** The data type of an event definition. */
export type EventData<Definition> = Definition extends EventTypeDefinition<string, infer Schema> ? z.infer<Schema> : never;
