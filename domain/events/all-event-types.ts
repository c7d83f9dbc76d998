import { budgetEventTypes } from '../budget/budget-events.js';
import { conversationEventTypes } from '../conversation/conversation-events.js';
import { deploymentEventTypes } from '../deployment/circuit-breaker-events.js';
import { embeddingEventTypes } from '../embedding/embedding-events.js';
import { promptEventTypes } from '../prompt/prompt-version-published.js';
import { tenantEventTypes } from '../tenant/tenant-events.js';
import { turnEventTypes } from '../turn/turn-event.js';
import { EventRegistry } from './event-registry.js';
import type { EventTypeDefinition } from './event-type.js';

/** Every event type Tessera writes, by stream category: `<category>EventTypes` lists one aggregate's. */
export const allEventTypes: readonly EventTypeDefinition[] = [
  ...tenantEventTypes,
  ...conversationEventTypes,
  ...promptEventTypes,
  ...turnEventTypes,
  ...budgetEventTypes,
  ...embeddingEventTypes,
  ...deploymentEventTypes,
];

export function createEventRegistry(): EventRegistry {
  return new EventRegistry(allEventTypes);
}
