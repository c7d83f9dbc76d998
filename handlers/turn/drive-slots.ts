import type { TurnDriver } from '../../commands/turns.js';

/** One admitted drive: a driver for a single turn, holding a slot until its drive settles. */
export interface AdmittedDrive extends TurnDriver {
  /** Gives the slot back when the turn was never handed to `drive` (the request failed first); a no-op after. */
  release(): void;
}

/**
 * A bound on the turns an API process drives at once. Each driven turn holds a model
 * call, its connection and its state in memory until it ends; past the bound, a turn is
 * recorded and left to the pipeline workers, whose handlers take work at their own pace
 * (TESSERA_HANDLER_CONCURRENCY), so a burst queues in the bus instead of the heap.
 */
export interface TurnDriveSlots {
  /** A drive when a slot is free, or undefined: then the caller records the turn for the workers. */
  admit(): AdmittedDrive | undefined;
  readonly inFlight: number;
  /** Resolves once no turn is being driven, or after `timeoutMs`, with how many still are. */
  drained(timeoutMs: number): Promise<number>;
}

export function createTurnDriveSlots(driver: TurnDriver, maxInFlight: number): TurnDriveSlots {
  let inFlight = 0;
  const waiting = new Set<() => void>();
  return {
    get inFlight() {
      return inFlight;
    },
    async drained(timeoutMs) {
      if (inFlight === 0) return 0;
      let done: (() => void) | undefined;
      const emptied = new Promise<void>((resolve) => waiting.add((done = resolve)));
      await Promise.race([emptied, new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
      waiting.delete(done!);
      return inFlight;
    },
    admit() {
      if (inFlight >= maxInFlight) return undefined;
      inFlight += 1;
      let slot: 'held' | 'driving' | 'free' = 'held';
      // Called once: by the drive when it settles, or by release() when no drive started.
      const free = () => {
        slot = 'free';
        inFlight -= 1;
        if (inFlight === 0) for (const wake of waiting) wake();
      };
      return {
        drive(turn) {
          if (slot !== 'held') throw new Error('an admitted drive runs one turn, while its slot is held');
          slot = 'driving';
          return driver.drive(turn).finally(free);
        },
        release() {
          if (slot === 'held') free();
        },
      };
    },
  };
}
