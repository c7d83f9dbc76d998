/** A counting semaphore: the bound on deliveries one consumer handles at once. */
export interface Slots {
  /** Resolves once a slot is free and taken. */
  acquire(): Promise<void>;
  /** Frees a slot, handing it straight to the longest waiter if there is one. */
  release(): void;
}

export function createSlots(size: number): Slots {
  let used = 0;
  const waiters: (() => void)[] = [];
  return {
    acquire() {
      if (used < size) {
        used += 1;
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => waiters.push(resolve));
    },
    release() {
      const next = waiters.shift();
      if (next) next();
      else used -= 1;
    },
  };
}
