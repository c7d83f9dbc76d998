import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordAdapterCovered } from '../../test/support/adapter-coverage.js';
import type { RateLimitCounter } from './rate-limit-counter.js';

export interface RateLimitCounterUnderTest {
  counter: RateLimitCounter;
  /** Another handle on the same counters (another process's view), or the same one when there is no other. */
  peer: RateLimitCounter;
  teardown(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What every rate-limit counter adapter must do, run against each one. */
export function describeRateLimitCounterContract(name: string, factory: () => Promise<RateLimitCounterUnderTest>): void {
  describe(`rate-limit counter contract: ${name}`, () => {
    let underTest: RateLimitCounterUnderTest;
    const fresh = () => `counter-${randomUUID()}`;

    beforeAll(async () => {
      underTest = await factory();
      recordAdapterCovered('rate-limit counter', name);
    });
    afterAll(async () => {
      await underTest?.teardown();
    });

    it('admits up to the limit within a window, then refuses and says when the window ends', async () => {
      const id = fresh();
      const results = [];
      for (let attempt = 0; attempt < 4; attempt += 1) results.push(await underTest.counter.consume([{ id, limit: 3, amount: 1 }], 10_000));
      expect(results.slice(0, 3).map((result) => result.allowed)).toEqual([true, true, true]);
      expect(results.slice(0, 3).map((result) => (result.allowed ? result.counters[0]!.used : -1))).toEqual([1, 2, 3]);
      const refused = results[3]!;
      expect(refused.allowed).toBe(false);
      if (refused.allowed) return;
      expect(refused.refusedIndex).toBe(0);
      expect(refused.counter.used).toBe(3);
      expect(refused.counter.resetInMs).toBeGreaterThan(8_000);
      expect(refused.counter.resetInMs).toBeLessThanOrEqual(10_000);
    });

    it('counts amounts, admitting one that exactly fills the limit and refusing one that would pass it', async () => {
      const id = fresh();
      expect((await underTest.counter.consume([{ id, limit: 100, amount: 60 }], 10_000)).allowed).toBe(true);
      expect((await underTest.counter.consume([{ id, limit: 100, amount: 41 }], 10_000)).allowed).toBe(false);
      const filled = await underTest.counter.consume([{ id, limit: 100, amount: 40 }], 10_000);
      expect(filled.allowed && filled.counters[0]!.used).toBe(100);
    });

    it('adds nothing to any counter when one of them has no room', async () => {
      const roomy = fresh();
      const full = fresh();
      await underTest.counter.consume([{ id: full, limit: 1, amount: 1 }], 10_000);
      const refused = await underTest.counter.consume([{ id: roomy, limit: 10, amount: 1 }, { id: full, limit: 1, amount: 1 }], 10_000);
      expect(refused.allowed).toBe(false);
      if (!refused.allowed) expect(refused.refusedIndex).toBe(1);
      const after = await underTest.counter.consume([{ id: roomy, limit: 10, amount: 1 }], 10_000);
      expect(after.allowed && after.counters[0]!.used).toBe(1);
    });

    it('adds each counter its own amount, checking each against its own limit', async () => {
      const requests = fresh();
      const tokens = fresh();
      const both = await underTest.counter.consume([{ id: requests, limit: 2, amount: 1 }, { id: tokens, limit: 1_000, amount: 600 }], 10_000);
      expect(both.allowed && both.counters.map((counter) => counter.used)).toEqual([1, 600]);
      const refused = await underTest.counter.consume([{ id: requests, limit: 2, amount: 1 }, { id: tokens, limit: 1_000, amount: 401 }], 10_000);
      expect(refused).toMatchObject({ allowed: false, refusedIndex: 1, counter: { used: 600 } });
      const fits = await underTest.counter.consume([{ id: requests, limit: 2, amount: 1 }, { id: tokens, limit: 1_000, amount: 400 }], 10_000);
      expect(fits.allowed && fits.counters.map((counter) => counter.used)).toEqual([2, 1_000]);
    });

    it('counts ahead only while the room it leaves stays free, and never refuses for it', async () => {
      const id = fresh();
      const ahead = { amount: 10, keepFree: 50 };
      const first = await underTest.counter.consume([{ id, limit: 100, amount: 5, ahead }], 10_000);
      expect(first.allowed && first.counters[0]).toMatchObject({ used: 15, countedAhead: 10 });
      const second = await underTest.counter.consume([{ id, limit: 100, amount: 5, ahead }], 10_000);
      expect(second.allowed && second.counters[0]).toMatchObject({ used: 30, countedAhead: 10 });
      // After the third's 15, counting 10 more would leave 45 free, less than 50: it counts its own amount alone.
      const third = await underTest.counter.consume([{ id, limit: 100, amount: 15, ahead }], 10_000);
      expect(third.allowed && third.counters[0]).toMatchObject({ used: 45, countedAhead: 0 });
      const last = await underTest.counter.consume([{ id, limit: 100, amount: 55, ahead }], 10_000);
      expect(last.allowed && last.counters[0]).toMatchObject({ used: 100, countedAhead: 0 });
    });

    it('starts a new window once the old one has ended', async () => {
      const id = fresh();
      expect((await underTest.counter.consume([{ id, limit: 1, amount: 1 }], 150)).allowed).toBe(true);
      expect((await underTest.counter.consume([{ id, limit: 1, amount: 1 }], 150)).allowed).toBe(false);
      await sleep(250);
      const again = await underTest.counter.consume([{ id, limit: 1, amount: 1 }], 150);
      expect(again.allowed && again.counters[0]!.used).toBe(1);
    });

    it('keeps separate counts for separate ids', async () => {
      const first = fresh();
      const second = fresh();
      await underTest.counter.consume([{ id: first, limit: 1, amount: 1 }], 10_000);
      expect((await underTest.counter.consume([{ id: second, limit: 1, amount: 1 }], 10_000)).allowed).toBe(true);
    });

    it('admits exactly the limit when many callers race for it, through every handle', async () => {
      const id = fresh();
      const handles = [underTest.counter, underTest.peer];
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, index) => handles[index % 2]!.consume([{ id, limit: 17, amount: 1 }], 10_000)),
      );
      expect(results.filter((result) => result.allowed)).toHaveLength(17);
    });
  });
}
