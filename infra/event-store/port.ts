import type { GlobalPosition } from '../../domain/events/global-position.js';
import type { NewEvent, RecordedEvent, StreamEvent } from '../../domain/events/envelope.js';
import type { StreamId } from '../../domain/shared/stream-id.js';

/**
 * What the writer believes about the stream: it must not exist yet, it may be in any
 * state, or its last event must be at exactly this revision.
 */
export type ExpectedRevision = 'no_stream' | 'any' | number;

export interface AppendOptions {
  /** Defaults to 'any'. */
  expectedRevision?: ExpectedRevision;
  /**
   * `quietly`: no other process waits on these events (a turn this process drove to
   * its end), so a store that announces commits to its subscribers may announce them
   * later, together with others; `announceNow` brings that forward for a reader here
   * who needs them. Default `promptly`.
   */
  announce?: 'promptly' | 'quietly';
}

export type AnnounceOptions = Pick<AppendOptions, 'announce'>;

export interface AppendResult {
  /** Revision of the last event now in the stream. */
  nextRevision: number;
  /** Global position of the last appended event. */
  position: GlobalPosition;
  /** True when every event was already there with the same content and nothing was written. */
  alreadyAppended: boolean;
  /**
   * The events as written (their data as given to the store, their metadata with its
   * schema version), for readers in this process that would otherwise read them back.
   * The objects are the caller's own, shared and not to be changed; unlike a read they
   * keep keys set to `undefined` and the order of keys. Absent when nothing was written,
   * or where the store cannot tell without a read.
   */
  written?: readonly StreamEvent[];
}

/** One stream's part of a multi-stream append. */
export interface StreamAppend {
  streamId: StreamId;
  events: readonly NewEvent[];
  /** Defaults to 'any'. */
  expectedRevision?: ExpectedRevision;
}

export interface ReadStreamOptions {
  direction?: 'forwards' | 'backwards';
  /** First revision to return (inclusive); defaults to the start or, backwards, the end. */
  fromRevision?: number;
  /** At most this many events; defaults to all. */
  maxCount?: number;
}

export interface ReadStreamResult {
  events: RecordedEvent[];
  /** Revision of the stream's last event, or -1 when the stream does not exist. */
  currentRevision: number;
}

export interface ReadAllOptions {
  /** Return events strictly after this position. */
  after: GlobalPosition;
  /** Batch size; defaults to 1,000. */
  maxCount?: number;
}

export interface ReadAllResult {
  events: RecordedEvent[];
  /** Where the next batch starts: the last returned position, or `after` when none. */
  lastPosition: GlobalPosition;
  /** True when nothing more can be read after this batch right now. */
  isEnd: boolean;
}

export interface SubscribeToAllOptions {
  /** Deliver events strictly after this position. */
  after: GlobalPosition;
  /** Called once when the subscription first has nothing left to read. */
  onCaughtUp?: () => void;
  /** Stop delivering when aborted. */
  signal?: AbortSignal;
  /** Told about a failed read; the subscription retries it after a backoff. */
  onError?: (error: unknown) => void;
}

/** A live view of `$all`: iterate to receive events in global order; `close` ends it. */
export interface AllSubscription extends AsyncIterable<RecordedEvent> {
  close(): Promise<void>;
}

/** The immutable event log: streams with optimistic concurrency and a gap-free global order. */
export interface EventStore {
  /**
   * Appends events to one stream atomically. Throws StreamRevisionConflictError when
   * the stream is not at the expected revision; re-appending the same event ids with
   * the same content returns the original result.
   */
  appendToStream(streamId: StreamId, events: readonly NewEvent[], options?: AppendOptions): Promise<AppendResult>;

  /**
   * Appends to several streams in one atomic commit: every stream's expected revision
   * holds and all events are written, or nothing is (the first failing check's error is
   * thrown). Results come in the order of `appends`. Stores that cannot commit several
   * streams at once leave it out; `appendInOrder` then writes them one after another.
   */
  appendToStreams?(appends: readonly StreamAppend[], options?: AnnounceOptions): Promise<AppendResult[]>;

  /** Reads one stream forwards or backwards from a revision. */
  readStream(streamId: StreamId, options?: ReadStreamOptions): Promise<ReadStreamResult>;

  /** Reads one batch of `$all` in global order, never skipping an event that commits later. */
  readAll(options: ReadAllOptions): Promise<ReadAllResult>;

  /** Follows `$all` from a checkpoint: catches up, then receives new events as they commit. */
  subscribeToAll(options: SubscribeToAllOptions): AllSubscription;

  /** The position of the newest readable event (START_POSITION for an empty log): where a live-only reader begins. */
  headPosition(): Promise<GlobalPosition>;

  /** Announces at once the commits whose announcement waits (appended `quietly`); stores that announce nothing leave it out. */
  announceNow?(): void;

  /** Counts the events in the log (for progress reports); stores that cannot count cheaply leave it out. */
  countEvents?(): Promise<number>;

  /** Releases connections and listeners. */
  close(): Promise<void>;
}
