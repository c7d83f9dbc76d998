import { z } from 'zod';
import { defineEventType, type EventData } from '../events/event-type.js';
import { modelCallErrorKindSchema } from '../turn/events/model-shapes.js';

const name = z.string().min(1).max(200);
const breakerState = z.enum(['closed', 'open', 'half-open', 'isolated']);

/**
 * One process's breaker for a deployment changed state, on `breaker-<deployment>`. Each
 * process keeps its own breakers, so the stream interleaves every process's changes;
 * `processId` tells them apart.
 */
export const CircuitBreakerStateChanged = defineEventType({
  type: 'CircuitBreakerStateChanged',
  version: 1,
  schema: z.object({
    deployment: name,
    from: breakerState,
    to: breakerState,
    processId: name,
    changedAt: z.iso.datetime(),
    /** The failure that opened the breaker: the last one it counted. */
    cause: z.object({ errorKind: modelCallErrorKindSchema, message: z.string().max(1_000) }).optional(),
  }),
});

export type CircuitBreakerStateChangedData = EventData<typeof CircuitBreakerStateChanged>;

export const deploymentEventTypes = [CircuitBreakerStateChanged] as const;
