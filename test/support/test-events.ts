import { z } from 'zod';
import { EventRegistry } from '../../domain/events/event-registry.js';
import { defineEventType } from '../../domain/events/event-type.js';
import type { NewEvent } from '../../domain/events/envelope.js';
import { newId, type EventId } from '../../domain/shared/ids.js';

/** Small event types for store and bus suites, so they do not depend on domain churn. */
export const ItemAdded = defineEventType({
  type: 'ItemAdded',
  version: 1,
  schema: z.object({ sku: z.string().min(1), quantity: z.number().int().positive() }),
});

export const ItemRemoved = defineEventType({
  type: 'ItemRemoved',
  version: 1,
  schema: z.object({ sku: z.string().min(1) }),
});

export const testRegistry = () => new EventRegistry([ItemAdded, ItemRemoved]);

export function itemAdded(sku: string, quantity = 1, id: EventId = newId<EventId>()): NewEvent<'ItemAdded'> {
  return {
    id,
    type: 'ItemAdded',
    data: { sku, quantity },
    metadata: { tenantId: 'tenant-test', correlationId: id, causationId: id },
  };
}

export function itemRemoved(sku: string, id: EventId = newId<EventId>()): NewEvent<'ItemRemoved'> {
  return {
    id,
    type: 'ItemRemoved',
    data: { sku },
    metadata: { tenantId: 'tenant-test', correlationId: id, causationId: id },
  };
}
