import type { RecordedEvent } from '../../../domain/events/envelope.js';
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

/**
 * Moves the log onto the bus without dual writes: reads the store from its
 * checkpoint and publishes each event with the event id as message id. After a crash
 * it resumes from the later of its checkpoint and the newest message the bus holds,
 * and the bus drops whatever it re-publishes inside the duplicate window.
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

  const startPosition = async (): Promise<GlobalPosition | undefined> => {
    if (resumeFrom) return resumeFrom;
    const stored = await checkpoints.read(name);
    const newest = await bus.lastMessage?.(`${prefix}.>`);
    const onBus = newest ? positionOf(newest) : undefined;
    return onBus && (!stored || onBus > stored) ? onBus : stored;
  };

  const forward = async () => {
    const after = await startPosition();
    const subscription = store.subscribeToAll({
      after: after ?? START_POSITION,
      signal: controller.signal,
      onError: options.onError,
    });
    try {
      for await (const batch of microBatches(subscription, options.batchSize ?? 256)) {
        const forwarded = eventTypes ? toForward(batch, eventTypes, options.endTypes) : batch;
        const results = await Promise.all(forwarded.map((event) => bus.publish(toEventMessage(event, prefix))));
        results.forEach((result, index) => {
          const entry: InFlight = { position: forwarded[index]!.position, settled: false };
          inFlight.push(entry);
          // A bus that closes abandons what is unsettled: it stays unsettled, so a restart re-publishes it.
          result.settled.then(() => (entry.settled = true), () => undefined);
        });
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
