/**
 * What this adapter cannot promise that the port's other adapters do. Contract suites
 * read these flags instead of asking which adapter they run against.
 */
export const kurrentDbQuirks = {
  /**
   * KurrentDB has no index of event ids across streams, and scanning `$all` on every
   * append would cost more than the guarantee is worth: an id reused in another stream
   * is written again instead of raising EventIdReusedError.
   */
  detectsIdReuseAcrossStreams: false,
  /**
   * KurrentDB's multi-stream append (server 25.1 and later) takes only flat string
   * metadata, and this adapter's idempotency check reads one stream at a time, so
   * `appendToStreams` is left out: `appendInOrder` writes the streams one after another.
   */
  appendsToSeveralStreams: false,
  /**
   * Within a stream, ids are looked for among its last `idempotencyWindow` events and
   * where the expected revision places them; an id used further back goes unnoticed.
   */
  detectsIdReuseBeyondWindow: false,
  /**
   * An append's result carries no `written` events: readers in the process read the
   * stream back, as they do for appends of other processes.
   */
  reportsWritten: false,
} as const;

export type KurrentDbQuirks = typeof kurrentDbQuirks;
