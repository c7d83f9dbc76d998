/**
 * Tracks, per published message, the consumers that still owe it an outcome. The
 * in-process bus keeps nothing across a restart, so a publisher (the store forwarder)
 * may only move its checkpoint past a message once every one of them is done with it.
 */
export interface SettlementTracker {
  /** Starts waiting on `consumers` for `sequence`; resolves at once when there are none. */
  track(sequence: number, consumers: readonly string[]): Promise<void>;
  /** The pending promise for `sequence`, if some consumer still owes it an outcome. */
  pending(sequence: number): Promise<void> | undefined;
  /** Records that `consumer` acked, dead-lettered or skipped `sequence`. */
  settle(sequence: number, consumer: string): void;
  /** Releases every waiter of `sequence`: the message left the log and cannot be delivered. */
  release(sequence: number): void;
  /** Fails every unsettled message, so no publisher waits on a bus that is gone. */
  abandonAll(reason: Error): void;
}

interface Waiter {
  awaiting: Set<string>;
  promise: Promise<void>;
  resolve: () => void;
  reject: (reason: Error) => void;
}

export function createSettlementTracker(): SettlementTracker {
  const waiters = new Map<number, Waiter>();

  const release = (sequence: number): void => {
    const waiter = waiters.get(sequence);
    if (!waiter) return;
    waiters.delete(sequence);
    waiter.resolve();
  };

  return {
    track(sequence, consumers) {
      if (consumers.length === 0) return Promise.resolve();
      let resolve: () => void = () => undefined;
      let reject: (reason: Error) => void = () => undefined;
      const promise = new Promise<void>((onResolve, onReject) => {
        resolve = onResolve;
        reject = onReject;
      });
      // Many publishers never look at `settled`; a rejection at close must not crash them.
      promise.catch(() => undefined);
      waiters.set(sequence, { awaiting: new Set(consumers), promise, resolve, reject });
      return promise;
    },
    pending: (sequence) => waiters.get(sequence)?.promise,
    settle(sequence, consumer) {
      const waiter = waiters.get(sequence);
      if (!waiter) return;
      waiter.awaiting.delete(consumer);
      if (waiter.awaiting.size === 0) release(sequence);
    },
    release,
    abandonAll(reason) {
      for (const waiter of waiters.values()) waiter.reject(reason);
      waiters.clear();
    },
  };
}
