import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { BatchHurry, microBatches } from './micro-batches.js';

async function* burstsThenPause<T>(bursts: T[][], pauseMs: number) {
  for (const burst of bursts) {
    for (const item of burst) yield item;
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
}

async function collect<T>(source: AsyncIterable<T[]>): Promise<T[][]> {
  const batches: T[][] = [];
  for await (const batch of source) batches.push(batch);
  return batches;
}

describe('microBatches', () => {
  it('groups items that arrive together and splits at pauses', async () => {
    const batches = await collect(microBatches(burstsThenPause([[1, 2, 3], [4], [5, 6]], 10), 100));
    expect(batches).toEqual([[1, 2, 3], [4], [5, 6]]);
  });

  it('never exceeds the maximum size and loses nothing', async () => {
    const items = Array.from({ length: 25 }, (_, i) => i);
    const batches = await collect(microBatches(burstsThenPause([items], 1), 10));
    expect(batches.map((batch) => batch.length)).toEqual([10, 10, 5]);
    expect(batches.flat()).toEqual(items);
  });
});

/** One item every `gapMs`, `count` in all. */
async function* steady(count: number, gapMs: number) {
  for (let item = 0; item < count; item += 1) {
    yield item;
    await new Promise((resolve) => setTimeout(resolve, gapMs));
  }
}

describe('microBatches with a linger', () => {
  it('gathers what arrives for the linger after a batch’s first item', async () => {
    const batches = await collect(microBatches(steady(40, 2), 100, { lingerMs: 30 }));
    expect(batches.flat()).toEqual(Array.from({ length: 40 }, (_, i) => i));
    // Unpaced, each item arriving alone would be a batch of its own.
    expect(batches.length).toBeLessThanOrEqual(8);
    expect(batches[0]!.length).toBeGreaterThan(4);
  });

  it('ends a linger early when hurried', async () => {
    const quiet = new AbortController();
    async function* oneThenQuiet() {
      yield 0;
      await sleep(10_000, undefined, { signal: quiet.signal }).catch(() => undefined);
    }
    const hurry = new BatchHurry();
    const started = performance.now();
    setTimeout(() => hurry.request(), 50);
    const batches = microBatches(oneThenQuiet(), 100, { lingerMs: 5_000, hurry });
    const first = await batches.next();
    expect(first.value).toEqual([0]);
    expect(performance.now() - started).toBeLessThan(1_000);
    quiet.abort();
    await batches.return(undefined);
  });

  it('does not linger at all while a reader needs the batches', async () => {
    const started = performance.now();
    const batches = await collect(microBatches(steady(3, 5), 100, { lingerMs: 5_000, hurry: new BatchHurry(() => true) }));
    expect(batches.flat()).toEqual([0, 1, 2]);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('does not linger once a batch is full, so catching up goes at full speed', async () => {
    const items = Array.from({ length: 30 }, (_, i) => i);
    const started = performance.now();
    const batches = await collect(microBatches(burstsThenPause([items], 1), 10, { lingerMs: 5_000 }));
    expect(batches.map((batch) => batch.length)).toEqual([10, 10, 10]);
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});
