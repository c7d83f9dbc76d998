import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteRedisKeys, readyRateLimitRedis } from '../../test/support/redis-keys.js';
import { ROOM_FACTOR, withCountedAhead } from './counted-ahead.js';
import type { ConsumeResult, RateLimitCounter } from './rate-limit-counter.js';
import { createRedisRateLimitCounter } from './redis-rate-limit-counter.js';

const CALLS = 8;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Two API processes, each with its own Redis client, sharing counters. */
describe('rate-limit counters counted ahead (redis)', () => {
  const keyPrefix = `test:${randomUUID()}:rate-limit:`;
  let shared: RateLimitCounter[];
  let trips: number;
  const fresh = () => `counter-${randomUUID()}`;

  beforeAll(async () => {
    shared = [
      createRedisRateLimitCounter(await readyRateLimitRedis(), { keyPrefix, ownsClient: true }),
      createRedisRateLimitCounter(await readyRateLimitRedis(), { keyPrefix, ownsClient: true }),
    ];
  });
  afterAll(async () => {
    await deleteRedisKeys(keyPrefix);
    for (const counter of shared ?? []) await counter.close();
  });

  /** A process's counters, counting its trips to Redis. */
  const processCounter = (index = 0) =>
    withCountedAhead(
      {
        consume: (counters, windowMs) => ((trips += 1), shared[index]!.consume(counters, windowMs)),
        close: async () => undefined,
      },
      { callsAhead: CALLS - 1 },
    );
  const usedOf = (result: ConsumeResult) => (result.allowed ? result.counters.map((counter) => counter.used) : 'refused');

  it(`asks Redis once per ${CALLS} calls far from the limit, and reports only what was spent`, async () => {
    const counter = processCounter();
    const requests = fresh();
    const tokens = fresh();
    trips = 0;
    const used = [];
    for (let call = 1; call <= 3 * CALLS; call += 1) {
      used.push(usedOf(await counter.consume([{ id: requests, limit: 1_000_000, amount: 1 }, { id: tokens, limit: 1_000_000, amount: 100 }], 60_000)));
    }
    expect(trips).toBe(3);
    expect(used).toEqual(Array.from({ length: 3 * CALLS }, (_, index) => [index + 1, 100 * (index + 1)]));
  });

  it('asks again when a larger amount than was counted ahead comes', async () => {
    const counter = processCounter();
    const tokens = fresh();
    trips = 0;
    await counter.consume([{ id: tokens, limit: 1_000_000, amount: 100 }], 60_000);
    await counter.consume([{ id: tokens, limit: 1_000_000, amount: 500 }], 60_000);
    expect(trips).toBe(1);
    // 200 of the 700 counted ahead are left: too few for another 500.
    expect(usedOf(await counter.consume([{ id: tokens, limit: 1_000_000, amount: 500 }], 60_000))).toEqual([1_100]);
    expect(trips).toBe(2);
  });

  it(`counts each call as it comes when less than ${ROOM_FACTOR} times the amount ahead would stay free`, async () => {
    const counter = processCounter();
    const id = fresh();
    const limit = ROOM_FACTOR * (CALLS - 1);
    trips = 0;
    const results = [];
    for (let call = 0; call <= limit; call += 1) results.push(await counter.consume([{ id, limit, amount: 1 }], 60_000));
    expect(trips).toBe(limit + 1);
    expect(results.filter((result) => result.allowed)).toHaveLength(limit);
    expect(results.at(-1)!.allowed).toBe(false);
  });

  it('lets two processes together admit no more than the limit, and leave at most what each counted ahead unspent', async () => {
    const processes = [processCounter(0), processCounter(1)];
    const id = fresh();
    const limit = 1_000;
    const results = await Promise.all(
      Array.from({ length: 1_500 }, async (_, index) => {
        await sleep(index % 7);
        return processes[index % 2]!.consume([{ id, limit, amount: 1 }], 60_000);
      }),
    );
    const admitted = results.filter((result) => result.allowed).length;
    expect(admitted).toBeLessThanOrEqual(limit);
    // A process whose last calls came before the other's were refused keeps what it had counted ahead.
    expect(admitted).toBeGreaterThanOrEqual(limit - processes.length * (CALLS - 1));
  });

  it('spends nothing counted ahead once its window has ended', async () => {
    const counter = processCounter();
    const id = fresh();
    trips = 0;
    await counter.consume([{ id, limit: 1_000_000, amount: 1 }], 150);
    await sleep(250);
    expect(usedOf(await counter.consume([{ id, limit: 1_000_000, amount: 1 }], 150))).toEqual([1]);
    expect(trips).toBe(2);
  });
});
