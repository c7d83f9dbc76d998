import { describe, expect, it } from 'vitest';
import { microBatches } from './micro-batches.js';

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
