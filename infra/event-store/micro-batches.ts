const NOT_READY = Symbol('not ready');

/**
 * Groups what an async iterator already has on hand into arrays of at most
 * `maxSize`: a burst becomes one batch (one transaction, one publish round), while a
 * lone item is passed on without waiting for company.
 */
export async function* microBatches<T>(source: AsyncIterable<T>, maxSize: number): AsyncGenerator<T[]> {
  const iterator = source[Symbol.asyncIterator]();
  let pending: Promise<IteratorResult<T>> | undefined;
  try {
    for (;;) {
      const first = await (pending ?? iterator.next());
      pending = undefined;
      if (first.done) return;
      const batch = [first.value];
      while (batch.length < maxSize) {
        pending = iterator.next();
        const next = await Promise.race([pending, new Promise<typeof NOT_READY>((resolve) => setImmediate(resolve, NOT_READY))]);
        if (next === NOT_READY) break;
        pending = undefined;
        if (next.done) {
          yield batch;
          return;
        }
        batch.push(next.value);
      }
      yield batch;
    }
  } finally {
    // Not awaited: a next() may still be pending, and return() queues behind it until
    // the source yields again; the source's own close() is what ends that wait.
    iterator.return?.().catch(() => undefined);
  }
}
