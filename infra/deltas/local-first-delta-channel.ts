import { LRUCache } from 'lru-cache';
import { followsDirectly, type DeltaChannel, type TurnDelta } from './port.js';

/** How long a delta waits for an earlier one that has not arrived before it is passed on anyway. */
const GAP_WAIT_MS = 500;

/** How long a follower goes without a delta published in this process before it follows the shared channel too. */
const SHARED_AFTER_IDLE_MS = 250;

/**
 * The first deltas of each turn published here are kept a few seconds for a follower
 * that arrives just after them (a client whose stream opens once the turn is recorded,
 * while the call is already under way). One who comes later finds a gap, and the gap
 * opens the shared channel. Bounded: turns, seconds, deltas per turn.
 */
const RECENT_TURNS = 1_000;
const RECENT_TTL_MS = 10_000;
const RECENT_DELTAS_PER_TURN = 256;

export interface LocalDeliveryOptions {
  /** Defaults to 250 ms. */
  sharedAfterIdleMs?: number;
  /**
   * The drive of a turn running in this process, if any: its deltas are published here,
   * so however long the model takes, the shared channel waits until the drive has ended.
   */
  drivenHere?: (turnId: string) => Promise<unknown> | undefined;
}

/**
 * A shared channel (NATS) with a shortcut for deltas published in this process: a
 * follower here gets them the moment they are published, and the shared channel's
 * copies, arriving later, are dropped by sequence. Deltas published by other
 * processes still come through the shared channel.
 *
 * The two sources race, so deltas are passed on in sequence order: one that arrives
 * ahead of an earlier one (published here before the follower came, still on its way
 * through NATS) waits for it, for a while.
 *
 * A follower opens the shared channel only once no delta has been published here for
 * `sharedAfterIdleMs` (counted from the end of the turn's drive, when this process
 * drives it), or one arrives after a gap: a turn answered by this process then costs no
 * NATS consumer, and one answered elsewhere reaches its follower that much later.
 */
export function withLocalDelivery(shared: DeltaChannel, options: LocalDeliveryOptions = {}): DeltaChannel {
  const sharedAfterIdleMs = options.sharedAfterIdleMs ?? SHARED_AFTER_IDLE_MS;
  const local = new Map<string, Set<(delta: TurnDelta) => void>>();
  const recent = new LRUCache<string, TurnDelta[]>({ max: RECENT_TURNS, ttl: RECENT_TTL_MS, ttlAutopurge: true });

  return {
    async publish(delta) {
      let published = recent.get(delta.turnId);
      if (!published) recent.set(delta.turnId, (published = []));
      if (published.length < RECENT_DELTAS_PER_TURN) published.push(delta);
      for (const listener of local.get(delta.turnId) ?? []) listener(delta);
      await shared.publish(delta);
    },

    replay: (turnId, afterSequence) => shared.replay(turnId, afterSequence),

    async *follow(turnId, afterSequence, signal) {
      const pending = new Map<number, TurnDelta>();
      let wake: (() => void) | undefined;
      let sharedError: Error | undefined;
      let sharedDone = false;
      let sharedStarted = false;
      let idleTimer: NodeJS.Timeout | undefined;
      const drive = options.drivenHere?.(turnId);
      let driving = drive !== undefined;
      const startShared = () => {
        clearTimeout(idleTimer);
        if (sharedStarted || signal.aborted) return;
        sharedStarted = true;
        void (async () => {
          for await (const delta of shared.follow(turnId, afterSequence, signal)) receive(delta);
        })()
          .then(
            () => (sharedDone = true),
            (error: unknown) => {
              sharedError = error instanceof Error ? error : new Error(String(error));
              sharedDone = true;
            },
          )
          .finally(() => wake?.());
      };
      // The shared channel replays from the start, so opening it late loses nothing.
      const restartIdleTimer = () => {
        if (sharedStarted || driving || signal.aborted) return;
        clearTimeout(idleTimer);
        idleTimer = setTimeout(startShared, sharedAfterIdleMs);
      };
      const receive = (delta: TurnDelta) => {
        pending.set(delta.sequence, delta);
        wake?.();
      };
      const receiveLocal = (delta: TurnDelta) => {
        restartIdleTimer();
        receive(delta);
      };
      let listeners = local.get(turnId);
      if (!listeners) local.set(turnId, (listeners = new Set()));
      listeners.add(receiveLocal);
      for (const delta of recent.get(turnId) ?? []) if (delta.sequence > afterSequence) receive(delta);
      const onAbort = () => {
        clearTimeout(idleTimer);
        wake?.();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      const driveEnded = () => {
        driving = false;
        restartIdleTimer();
      };
      if (drive) void drive.then(driveEnded, driveEnded);
      else restartIdleTimer();

      let last = afterSequence;
      /** The next delta to pass on: the one right after the last, or after a wait, the earliest one. */
      const takeNext = (giveUpOnGap: boolean): TurnDelta | undefined => {
        let earliest: TurnDelta | undefined;
        for (const [sequence, delta] of pending) {
          if (sequence <= last) {
            pending.delete(sequence);
            continue;
          }
          if (followsDirectly(last, sequence)) {
            pending.delete(sequence);
            return delta;
          }
          if (!earliest || sequence < earliest.sequence) earliest = delta;
        }
        if (!giveUpOnGap || !earliest) return undefined;
        pending.delete(earliest.sequence);
        return earliest;
      };
      try {
        while (!signal.aborted) {
          const next = takeNext(sharedDone);
          if (next) {
            last = next.sequence;
            yield next;
            continue;
          }
          if (sharedDone && pending.size === 0) {
            if (sharedError) throw sharedError;
            return;
          }
          const waitingOnGap = pending.size > 0;
          if (waitingOnGap) startShared();
          const timedOut = await new Promise<boolean>((resolve) => {
            const timer = waitingOnGap ? setTimeout(() => resolve(true), GAP_WAIT_MS) : undefined;
            wake = () => {
              clearTimeout(timer);
              resolve(false);
            };
          });
          wake = undefined;
          if (timedOut) {
            const late = takeNext(true);
            if (late) {
              last = late.sequence;
              yield late;
            }
          }
        }
      } finally {
        clearTimeout(idleTimer);
        signal.removeEventListener('abort', onAbort);
        listeners.delete(receiveLocal);
        if (listeners.size === 0 && local.get(turnId) === listeners) local.delete(turnId);
      }
    },

    close: () => shared.close(),
  };
}
