import type { AppendResult, EventStore, StreamAppend } from './port.js';

/**
 * Several streams' events in one commit where the store can, otherwise one stream
 * after another in the given order (a failure then leaves the earlier streams written).
 */
export async function appendInOrder(store: EventStore, appends: readonly StreamAppend[]): Promise<AppendResult[]> {
  if (appends.length === 1) {
    const [only] = appends;
    return [await store.appendToStream(only!.streamId, only!.events, { expectedRevision: only!.expectedRevision })];
  }
  if (store.appendToStreams) return store.appendToStreams(appends);
  const results: AppendResult[] = [];
  for (const append of appends) results.push(await store.appendToStream(append.streamId, append.events, { expectedRevision: append.expectedRevision }));
  return results;
}
