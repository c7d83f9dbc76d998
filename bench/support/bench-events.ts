import { z } from 'zod';
import { EventRegistry } from '../../domain/events/event-registry.js';
import { defineEventType } from '../../domain/events/event-type.js';
import type { EventMetadataInput, NewEvent } from '../../domain/events/envelope.js';
import { newId, type EventId } from '../../domain/shared/ids.js';

/**
 * Shaped like the pipeline's ModelCallCompleted but owned by the benches, so the
 * figures do not move when the domain schema does. Its schema has the usual mix of
 * strings, enums and bounded numbers, so validation costs what a real event costs.
 */
export const BenchModelCallCompleted = defineEventType({
  type: 'BenchModelCallCompleted',
  version: 1,
  schema: z.object({
    turnId: z.uuid(),
    step: z.number().int().nonnegative(),
    deployment: z.string().min(1).max(200),
    finishReason: z.enum(['stop', 'length', 'tool_calls', 'content_filter']),
    usage: z.object({ inputTokens: z.number().int().nonnegative(), outputTokens: z.number().int().nonnegative() }),
    costMicros: z.number().int().nonnegative(),
    latencyMs: z.number().nonnegative(),
    text: z.string().max(4_000),
  }),
});

export type BenchEventData = z.infer<typeof BenchModelCallCompleted.schema>;

export const benchRegistry = () => new EventRegistry([BenchModelCallCompleted]);

const ANSWER = 'The refund window is 30 days from delivery [doc_1]; opened items qualify when unused [doc_3].';

export function benchEventData(turnId: string, step: number): BenchEventData {
  return {
    turnId,
    step,
    deployment: 'chat/default:gpt-4o-mini',
    finishReason: 'stop',
    usage: { inputTokens: 1_200 + step, outputTokens: 180 },
    costMicros: 412,
    latencyMs: 812.5,
    text: ANSWER,
  };
}

/** A type alias, not an interface, so it also fits Emmett's `Record<string, unknown>` metadata. */
export type BenchMetadata = Pick<EventMetadataInput, 'tenantId' | 'correlationId' | 'causationId'>;

export function benchMetadata(correlationId: string): BenchMetadata {
  return { tenantId: 'tenant-bench', correlationId, causationId: correlationId };
}

/** `count` Tessera events for one append, numbered from `firstStep`. */
export function newBenchEvents(turnId: string, firstStep: number, count: number): NewEvent[] {
  const events: NewEvent[] = [];
  for (let index = 0; index < count; index += 1) {
    const id = newId<EventId>();
    events.push({
      id,
      type: BenchModelCallCompleted.type,
      data: benchEventData(turnId, firstStep + index),
      metadata: benchMetadata(turnId),
    });
  }
  return events;
}

/** Bytes of one event's data, and of the whole event, as JSON: printed next to the figures. */
export function benchEventSize(): { dataBytes: number; eventBytes: number } {
  const [event] = newBenchEvents(newId(), 0, 1);
  return {
    dataBytes: Buffer.byteLength(JSON.stringify(event?.data)),
    eventBytes: Buffer.byteLength(JSON.stringify(event)),
  };
}
