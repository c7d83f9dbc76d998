import type { AnnounceOptions, AppendResult, EventStore, StreamAppend } from './port.js';

/**
 * Several streams' events in one commit where the store can, otherwise one stream
 * after another in the given order (a failure then leaves the earlier streams written).
 */
export async function appendInOrder(store: EventStore, appends: readonly StreamAppend[], options: AnnounceOptions = {}): Promise<AppendResult[]> {
  if (appends.length === 1) {
    const [only] = appends;
    return [await store.appendToStream(only!.streamId, only!.events, { ...options, expectedRevision: only!.expectedRevision })];
  }
  if (store.appendToStreams) return store.appendToStreams(appends, options);
  const results: AppendResult[] = [];
  for (const append of appends) results.push(await store.appendToStream(append.streamId, append.events, { ...options, expectedRevision: append.expectedRevision }));
  return results;
}
