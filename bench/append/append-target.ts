/** One event store under test, reduced to the one call the append bench makes. */
export interface AppendTarget {
  readonly name: string;
  /**
   * Appends `count` new events to `streamName`, which holds `eventsSoFar` events,
   * with optimistic concurrency on: the store must find the stream at exactly that length.
   */
  append(streamName: string, eventsSoFar: number, count: number): Promise<void>;
  close(): Promise<void>;
}
