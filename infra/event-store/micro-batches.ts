const NOT_READY = Symbol('not ready');

export interface BatchPacing {
  /**
   * A batch gathers what arrives for up to this long after its first item; a full
   * batch goes at once, so a reader catching up never waits.
   */
  lingerMs: number;
  /** Cuts lingers short for a reader who needs what the batches produce now. */
  hurry?: BatchHurry;
}

/** Lets a reader of what the batches produce have them go without their linger. */
export class BatchHurry {
  private wake: (() => void) | undefined;

  /** `needed`: while it holds, batches do not linger at all. */
  constructor(private readonly needed: () => boolean = () => false) {}

  /** Ends the linger under way. */
  request(): void {
    this.wake?.();
  }

  /** Resolves after `milliseconds`, or at once when hurried; `cancel` drops the timer. */
  wait(milliseconds: number): { done: Promise<typeof NOT_READY>; cancel: () => void } {
    let timer: NodeJS.Timeout | undefined;
    const done = new Promise<typeof NOT_READY>((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve(NOT_READY);
      };
      if (this.needed()) return finish();
      this.wake = finish;
      timer = setTimeout(finish, milliseconds);
    });
    return {
      done,
      cancel: () => {
        clearTimeout(timer);
        this.wake = undefined;
      },
    };
  }
}

/**
 * Groups what an async iterator already has on hand into arrays of at most
 * `maxSize`: a burst becomes one batch (one transaction, one publish round), while a
 * lone item is passed on without waiting for company, unless `pacing` asks batches to
 * linger.
 */
export async function* microBatches<T>(source: AsyncIterable<T>, maxSize: number, pacing?: BatchPacing): AsyncGenerator<T[]> {
  const iterator = source[Symbol.asyncIterator]();
  const lingering = pacing && { ms: pacing.lingerMs, hurry: pacing.hurry ?? new BatchHurry() };
  let pending: Promise<IteratorResult<T>> | undefined;
  try {
    for (;;) {
      const first = await (pending ?? iterator.next());
      pending = undefined;
      if (first.done) return;
      const batch = [first.value];
      let linger = lingering?.hurry.wait(lingering.ms);
      try {
        while (batch.length < maxSize) {
          pending ??= iterator.next();
          const next = await Promise.race([pending, linger?.done ?? onHand()]);
          if (next === NOT_READY) {
            if (!linger) break;
            // The linger is over: what is on hand now still joins the batch.
            linger = undefined;
            continue;
          }
          pending = undefined;
          if (next.done) {
            yield batch;
            return;
          }
          batch.push(next.value);
        }
      } finally {
        linger?.cancel();
      }
      yield batch;
    }
  } finally {
    // Not awaited: a next() may still be pending, and return() queues behind it until
    // the source yields again; the source's own close() is what ends that wait.
    iterator.return?.().catch(() => undefined);
  }
}

/** Settles after the items already queued have had their turn. */
function onHand(): Promise<typeof NOT_READY> {
  return new Promise((resolve) => setImmediate(resolve, NOT_READY));
}
