import { parseGlobalPosition, START_POSITION } from '../../domain/events/global-position.js';
import type { EventStore } from '../../infra/event-store/port.js';

export interface ReplayFilter {
  after?: string;
  category?: string;
  types?: string[];
  tenant?: string;
  limit?: number;
}

/**
 * `tessera replay`: the log (or a slice of it) as JSON lines on stdout, in global
 * order, for eval dataset builds and debugging; progress goes to stderr.
 */
export async function replay(store: EventStore, filter: ReplayFilter): Promise<number> {
  const types = filter.types && new Set(filter.types);
  let position = filter.after ? parseGlobalPosition(filter.after) : START_POSITION;
  let written = 0;
  let read = 0;
  let lastReport = performance.now();
  for (;;) {
    const batch = await store.readAll({ after: position, maxCount: 1_000 });
    for (const event of batch.events) {
      read += 1;
      if (filter.category && !event.streamId.startsWith(`${filter.category}-`)) continue;
      if (types && !types.has(event.type)) continue;
      if (filter.tenant && event.metadata.tenantId !== filter.tenant) continue;
      if (!process.stdout.write(`${JSON.stringify(event)}\n`)) {
        await new Promise((resolve) => process.stdout.once('drain', resolve));
      }
      written += 1;
      if (filter.limit !== undefined && written >= filter.limit) return written;
    }
    position = batch.lastPosition;
    if (performance.now() - lastReport > 1_000) {
      process.stderr.write(`replay: ${read} events read, ${written} written, at ${position}\n`);
      lastReport = performance.now();
    }
    if (batch.isEnd) return written;
  }
}
