import type { RecordedEvent } from '../../../domain/events/envelope.js';
import type { StreamId } from '../../../domain/shared/stream-id.js';
import { START_POSITION, type GlobalPosition } from '../../../domain/events/global-position.js';
import { microBatches } from '../../event-store/micro-batches.js';
import { keepRunning } from '../../keep-running.js';
import type { EventStore } from '../../event-store/port.js';
import type { Bus } from '../port.js';
import { DEFAULT_EVENT_SUBJECT_PREFIX, positionOf, toEventMessage } from './event-message.js';

/** Where the forwarder keeps its place; a SQL table in every profile. */
export interface ForwarderCheckpoints {
  read(name: string): Promise<GlobalPosition | undefined>;
  write(name: string, position: GlobalPosition): Promise<void>;
}

export interface ForwarderOptions {
  /** Checkpoint name; one forwarder per name should run at a time. */
  name?: string;
  batchSize?: number;
  /** Subjects are `<prefix>.<category>.<type>`; defaults to `tessera.events`. */
  subjectPrefix?: string;
  /**
   * Only events of these types go onto the bus (all when unset): the types some
   * consumer subscribes to. The others are passed over, their positions still counted.
   */
  eventTypes?: ReadonlySet<string>;
  /**
   * Event types after which their stream needs no handler (a turn's end). The events
   * of such a stream that reach the forwarder in the same batch as its end are passed
   * over: every step they would start is already recorded, so a handler would only
   * read the stream to find nothing to do. Only with `eventTypes`, since a consumer
   * outside Tessera may want them all.
   */
  endTypes?: ReadonlySet<string>;
  /**
   * For a stream this process is driving itself (a turn driven inline), a promise that
   * settles when the drive ends, true when it took the stream to its end. The stream's
   * events wait for it: passed over when the drive ended the stream (every step they
   * would start is recorded), published in order when it did not (a handler carries on).
   * Only with `eventTypes`, like `endTypes`.
   */
  drivenHere?: (streamId: StreamId) => Promise<boolean> | undefined;
  /**
   * Longest a stream's events wait for its drive; then they go out, and the drive's
   * handlers can take over as usual. It bounds how far the checkpoint lags, so keep it
   * inside the bus's duplicate window: what a restart re-publishes is then dropped.
   */
  maxHoldMs?: number;
  /** How often the checkpoint is written while events flow. */
  checkpointIntervalMs?: number;
  onError?: (error: unknown) => void;
  /** Told after each published batch (for progress and metrics). */
  onPublished?: (count: number, position: GlobalPosition) => void;
}

export interface RunningForwarder {
  stop(): Promise<void>;
}

interface InFlight {
  position: GlobalPosition;
  settled: boolean;
}

interface HeldEvent {
  event: RecordedEvent;
  entry: InFlight;
}

/**
 * Moves the log onto the bus without dual writes: reads the store from its
 * checkpoint and publishes each event with the event id as message id. The checkpoint
 * never passes an event not yet settled (published and acknowledged, passed over, or
 * held for a drive), so after a crash it resumes from there, and the bus drops
 * whatever it re-publishes inside the duplicate window; a forwarder without a
 * checkpoint starts after the newest message the bus holds.
 */
export function startForwarder(
  store: EventStore,
  bus: Bus,
  checkpoints: ForwarderCheckpoints,
  options: ForwarderOptions = {},
): RunningForwarder {
  const name = options.name ?? 'forwarder';
  const prefix = options.subjectPrefix ?? DEFAULT_EVENT_SUBJECT_PREFIX;
  const eventTypes = options.eventTypes;
  const controller = new AbortController();
  const inFlight: InFlight[] = [];
  /** Events of streams driven in this process, per stream, in order, until their drive ends. */
  const held = new Map<string, HeldEvent[]>();
  const maxHoldMs = options.maxHoldMs ?? 60_000;
  let saved: GlobalPosition | undefined;
  let resumeFrom: GlobalPosition | undefined;

  const settledPrefix = (): GlobalPosition | undefined => {
    let last: GlobalPosition | undefined;
    while (inFlight[0]?.settled) last = inFlight.shift()!.position;
    return last;
  };

  const saveCheckpoint = async () => {
    const position = settledPrefix();
    if (!position || position === saved) return;
    await checkpoints.write(name, position);
    saved = position;
  };

  const startPosition = async (): Promise<GlobalPosition> => {
    if (resumeFrom) return resumeFrom;
    const stored = await checkpoints.read(name);
    if (stored) return stored;
    const newest = await bus.lastMessage?.(`${prefix}.>`);
    const start = (newest && positionOf(newest)) || START_POSITION;
    // Written at once, so a restart starts here even if the first events are still held then.
    await checkpoints.write(name, start);
    saved = start;
    return start;
  };

  const publish = async (event: RecordedEvent, entry: InFlight): Promise<void> => {
    const result = await bus.publish(toEventMessage(event, prefix));
    // A bus that closes abandons what is unsettled: it stays unsettled, so a restart re-publishes it.
    result.settled.then(() => (entry.settled = true), () => undefined);
  };

  /** Publishes until it is out or the forwarder stops (then it stays unsettled, for whoever forwards next). */
  const publishPersistently = async (event: RecordedEvent, entry: InFlight): Promise<boolean> => {
    for (let backoffMs = 50; !controller.signal.aborted; backoffMs = Math.min(backoffMs * 2, 5_000)) {
      try {
        await publish(event, entry);
        return true;
      } catch (error) {
        options.onError?.(error);
        await new Promise((resolve) => setTimeout(resolve, backoffMs));
      }
    }
    return false;
  };

  /** The drive is over (or held long enough): its stream's events are passed over or go out, in order. */
  const release = async (stream: StreamId, ended: boolean) => {
    const queue = held.get(stream);
    if (!queue) return;
    if (ended) {
      for (const { entry } of queue) entry.settled = true;
      held.delete(stream);
      return;
    }
    // Events of the stream that arrive meanwhile join the queue, so none overtakes another.
    while (queue.length > 0) {
      if (!(await publishPersistently(queue[0]!.event, queue[0]!.entry))) return;
      queue.shift();
    }
    held.delete(stream);
  };

  const hold = (event: RecordedEvent, entry: InFlight): boolean => {
    const queue = held.get(event.streamId);
    if (queue) {
      queue.push({ event, entry });
      return true;
    }
    const drive = options.drivenHere?.(event.streamId);
    if (!drive) return false;
    held.set(event.streamId, [{ event, entry }]);
    let timer: NodeJS.Timeout | undefined;
    const heldLongEnough = new Promise<boolean>((resolve) => {
      timer = setTimeout(resolve, maxHoldMs, false);
      timer.unref();
    });
    void Promise.race([drive.catch(() => false), heldLongEnough]).then((ended) => {
      clearTimeout(timer);
      return release(event.streamId, ended);
    });
    return true;
  };

  const forward = async () => {
    const after = await startPosition();
    const subscription = store.subscribeToAll({
      after,
      signal: controller.signal,
      onError: options.onError,
    });
    try {
      for await (const batch of microBatches(subscription, options.batchSize ?? 256)) {
        const forwarded = eventTypes ? toForward(batch, eventTypes, options.endTypes) : batch;
        const entries: InFlight[] = [];
        const published: Promise<void>[] = [];
        for (const event of forwarded) {
          const entry: InFlight = { position: event.position, settled: false };
          entries.push(entry);
          if (!(eventTypes && hold(event, entry))) published.push(publish(event, entry));
        }
        // Counted only once the whole batch is out: a batch that fails is read and published again.
        await Promise.all(published);
        inFlight.push(...entries);
        // The batch's end counts as settled once what came before it is: passed-over events need no acknowledgement.
        if (forwarded.length < batch.length) inFlight.push({ position: batch.at(-1)!.position, settled: true });
        resumeFrom = batch.at(-1)!.position;
        options.onPublished?.(forwarded.length, resumeFrom);
      }
    } finally {
      await subscription.close();
    }
  };

  const checkpointTimer = setInterval(() => {
    saveCheckpoint().catch((error: unknown) => options.onError?.(error));
  }, options.checkpointIntervalMs ?? 100);

  const loop = keepRunning(controller.signal, forward, (error) => options.onError?.(error));

  return {
    async stop() {
      controller.abort();
      await loop;
      clearInterval(checkpointTimer);
      // A lost connection here only means a restart re-publishes a little more.
      await saveCheckpoint().catch((error: unknown) => options.onError?.(error));
    },
  };
}

function toForward(batch: readonly RecordedEvent[], eventTypes: ReadonlySet<string>, endTypes: ReadonlySet<string> | undefined): RecordedEvent[] {
  const ended = endTypes ? new Set(batch.filter((event) => endTypes.has(event.type)).map((event) => event.streamId)) : undefined;
  return batch.filter((event) => eventTypes.has(event.type) && !ended?.has(event.streamId));
}
