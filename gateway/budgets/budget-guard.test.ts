import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { setBudget } from '../../commands/budgets.js';
import { createTenant, issueApiKey } from '../../commands/tenants.js';
import type { BudgetDefinition } from '../../domain/budget/budget-definition.js';
import { BudgetExhaustedError } from '../../domain/budget/budget-errors.js';
import type { BudgetReservedData, BudgetSettledData, BudgetThresholdCrossedData } from '../../domain/budget/budget-events.js';
import { budgetStreamId, windowOf } from '../../domain/budget/budget-window.js';
import { categoryOf } from '../../domain/shared/stream-id.js';
import type { EventStore } from '../../infra/event-store/port.js';
import { createBudgetGuard, type BudgetGuard } from './budget-guard.js';
import { openBudgetTestStores, type BudgetTestBackend, type BudgetTestStores } from './budget-test-stores.js';

const now = new Date('2026-03-14T09:30:00.000Z');

/** The store, counting what reaches it: the guard's cost per call is part of its contract. */
function countingStore(store: EventStore) {
  const counts = { appends: 0, budgetReads: 0, tenantReads: 0 };
  const counted: EventStore = {
    ...store,
    appendToStream: (stream, events, options) => {
      counts.appends += 1;
      return store.appendToStream(stream, events, options);
    },
    readStream: (stream, options) => {
      if (categoryOf(stream) === 'budget') counts.budgetReads += 1;
      if (categoryOf(stream) === 'tenant') counts.tenantReads += 1;
      return store.readStream(stream, options);
    },
  };
  return { store: counted, counts };
}

describe.each<BudgetTestBackend>(['postgresql', 'pglite'])('budget guard (%s)', (backend) => {
  let opened: BudgetTestStores;
  let store: EventStore;
  let tenantId: string;
  let keyId: string;
  let otherKeyId: string;
  let calls = 0;
  const callId = () => `call-${(calls += 1)}`;

  beforeAll(async () => {
    opened = await openBudgetTestStores(backend, 1);
    store = opened.stores[0]!;
  });
  afterAll(() => opened?.close());

  beforeEach(async () => {
    tenantId = await createTenant(store, { name: 'Guarded', actor: 'test' });
    keyId = (await issueApiKey(store, { tenantId, name: 'limited', actor: 'test' })).keyId;
    otherKeyId = (await issueApiKey(store, { tenantId, name: 'other', actor: 'test' })).keyId;
  });

  const budget = (definition: BudgetDefinition) => setBudget(store, { tenantId, actor: 'test', ...definition }, now);
  const eventsOf = async (scope: { scope: 'tenant' } | { scope: 'key'; keyId: string }, at = now) =>
    (await store.readStream(budgetStreamId(tenantId, windowOf({ ...scope, period: 'daily' }, at)))).events;

  it('costs a tenant without budgets no append and no read per call', async () => {
    const { store: counted, counts } = countingStore(store);
    const guard = createBudgetGuard({ store: counted });
    for (let index = 0; index < 50; index += 1) {
      const reservation = await guard.reserve({ tenantId, keyId, callId: callId(), worstCaseMicros: 1_000, now });
      expect(reservation.holds).toEqual([]);
      await guard.settle(reservation, 900, now);
    }
    expect(counts).toEqual({ appends: 0, budgetReads: 0, tenantReads: 1 });
  });

  it('takes one append and no read per reservation once it knows the window', async () => {
    await budget({ scope: 'tenant', period: 'daily', limitMicros: 1_000_000, enforcement: 'hard' });
    const { store: counted, counts } = countingStore(store);
    const guard = createBudgetGuard({ store: counted });
    for (let index = 0; index < 5; index += 1) await guard.reserve({ tenantId, callId: callId(), worstCaseMicros: 1_000, now });
    expect(counts).toMatchObject({ appends: 5, budgetReads: 0 });
  });

  it('settles calls served by holds taken ahead in the calls\' names, and releases the holds no call took on close', async () => {
    await budget({ scope: 'tenant', period: 'daily', limitMicros: 1_000_000_000, enforcement: 'hard' });
    const guard = createBudgetGuard({ store, holdsAhead: 4 });
    const heldOwn = [await guard.reserve({ tenantId, callId: callId(), worstCaseMicros: 3_000, now })];
    expect(heldOwn[0]!.heldAhead).toBeUndefined();
    // The holds ahead are taken behind the first call's own; calls hold their own until they are ready.
    const served = [];
    for (let attempt = 0; served.length < 3 && attempt < 200; attempt += 1) {
      const reservation = await guard.reserve({ tenantId, callId: callId(), worstCaseMicros: 3_000, now });
      if (reservation.heldAhead) served.push(reservation);
      else heldOwn.push(reservation);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(served).toHaveLength(3);
    await Promise.all(served.map((reservation, index) => guard.settle(reservation, 1_000 + index, now)));
    await guard.close();

    const events = await eventsOf({ scope: 'tenant' });
    const heldAhead = events.filter((event) => event.type === 'BudgetReserved' && (event.data as BudgetReservedData).callId === undefined);
    const ahead = new Map(heldAhead.map((event) => [(event.data as BudgetReservedData).reservationId, (event.data as BudgetReservedData).worstCaseMicros]));
    expect(served.every((reservation) => ahead.get(reservation.reservationId) === 4_096 && reservation.worstCaseMicros === 4_096)).toBe(true);
    const named = events.filter((event) => event.type === 'BudgetSettled' && (event.data as BudgetSettledData).callId !== undefined);
    expect(named.map((event) => event.data as BudgetSettledData).map(({ reservationId, callId: call, actualMicros }) => ({ reservationId, call, actualMicros }))).toEqual(
      served.map((reservation, index) => ({ reservationId: reservation.reservationId, call: reservation.callId, actualMicros: 1_000 + index })),
    );
    // What is still held is exactly the calls that held their own and have not settled.
    expect(await guard.remaining(tenantId, undefined, now)).toMatchObject([{ spentMicros: 3_003, reservedMicros: 3_000 * heldOwn.length }]);
  });

  it('frees the room held by a process that died once its holds expire, and still counts what such a call settles late', async () => {
    await budget({ scope: 'tenant', period: 'daily', limitMicros: 1_000_000, enforcement: 'hard' });
    const holdLifetime = { holdMs: 10 * 60_000, callMs: 2 * 60_000 };
    const later = (milliseconds: number) => new Date(now.getTime() + milliseconds);
    const dead = createBudgetGuard({ store, holdLifetime });
    const orphan = await dead.reserve({ tenantId, callId: callId(), worstCaseMicros: 700_000, now });

    // The process that took the hold is gone: neither settled nor closed.
    const survivor = createBudgetGuard({ store, holdLifetime });
    await expect(survivor.reserve({ tenantId, callId: callId(), worstCaseMicros: 700_000, now: later(holdLifetime.holdMs - 1) })).rejects.toSatisfy(
      (error) => BudgetExhaustedError.isInstance(error) && error.remainingMicros === 300_000,
    );
    expect(await survivor.remaining(tenantId, undefined, later(holdLifetime.holdMs))).toMatchObject([{ reservedMicros: 0, remainingMicros: 1_000_000 }]);
    const fresh = await survivor.reserve({ tenantId, callId: callId(), worstCaseMicros: 700_000, now: later(holdLifetime.holdMs) });
    await survivor.settle(fresh, 100_000, later(holdLifetime.holdMs + 1));

    await dead.settle(orphan, 50_000, later(holdLifetime.holdMs + 2));
    expect(await survivor.remaining(tenantId, undefined, later(holdLifetime.holdMs + 3))).toMatchObject([{ spentMicros: 150_000, reservedMicros: 0, remainingMicros: 850_000 }]);
  });

  it('refuses what a hard budget cannot hold, saying what is left and when it resets', async () => {
    await budget({ scope: 'tenant', period: 'daily', limitMicros: 10_000, enforcement: 'hard' });
    const guard = createBudgetGuard({ store });
    await guard.reserve({ tenantId, callId: callId(), worstCaseMicros: 7_000, now });
    const refusal = guard.reserve({ tenantId, callId: callId(), worstCaseMicros: 3_001, now });
    await expect(refusal).rejects.toBeInstanceOf(BudgetExhaustedError);
    await expect(refusal).rejects.toMatchObject({
      scope: 'tenant',
      period: 'daily',
      remainingMicros: 3_000,
      limitMicros: 10_000,
      resetsAt: '2026-03-15T00:00:00.000Z',
    });
    await expect(guard.reserve({ tenantId, callId: callId(), worstCaseMicros: 3_000, now })).resolves.toMatchObject({ worstCaseMicros: 3_000 });
  });

  it('frees the rest of the hold when a call settles for less, and counts a repeated settle once', async () => {
    await budget({ scope: 'tenant', period: 'daily', limitMicros: 10_000, enforcement: 'hard' });
    const guard = createBudgetGuard({ store });
    const reservation = await guard.reserve({ tenantId, callId: callId(), worstCaseMicros: 8_000, now });
    expect(await guard.remaining(tenantId, undefined, now)).toMatchObject([{ spentMicros: 0, reservedMicros: 8_000, remainingMicros: 2_000 }]);
    await guard.settle(reservation, 1_500, now);
    await guard.settle(reservation, 1_500, now);
    expect(await guard.remaining(tenantId, undefined, now)).toMatchObject([{ spentMicros: 1_500, reservedMicros: 0, remainingMicros: 8_500 }]);
  });

  it('refuses a settle in fractions of a micro, naming the field, and settles the others', async () => {
    await budget({ scope: 'tenant', period: 'daily', limitMicros: 10_000, enforcement: 'hard' });
    const guard = createBudgetGuard({ store });
    await guard.reserve({ tenantId, callId: callId(), worstCaseMicros: 1, now });
    const [first, second, third] = [callId(), callId(), callId()];
    const reservations = await Promise.all([first, second, third].map((id) => guard.reserve({ tenantId, callId: id, worstCaseMicros: 1_000, now })));
    const outcomes = await Promise.allSettled([
      guard.settle(reservations[0]!, 500, now),
      guard.settle(reservations[1]!, 0.5, now),
      guard.settle(reservations[2]!, 700, now),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(outcomes[1]).toMatchObject({ reason: { code: 'TESSERA_INVALID_BUDGET_AMOUNT', field: 'actualMicros' } });
    expect(await guard.remaining(tenantId, undefined, now)).toMatchObject([{ spentMicros: 1_200, reservedMicros: 1_001 }]);
  });

  it('keeps one hold for a call that reserves again (a redelivery)', async () => {
    await budget({ scope: 'tenant', period: 'daily', limitMicros: 10_000, enforcement: 'hard' });
    const guard = createBudgetGuard({ store });
    const id = callId();
    const first = await guard.reserve({ tenantId, callId: id, worstCaseMicros: 6_000, now });
    const again = await createBudgetGuard({ store }).reserve({ tenantId, callId: id, worstCaseMicros: 6_000, now });
    expect(again.reservationId).toBe(first.reservationId);
    expect((await eventsOf({ scope: 'tenant' })).map((event) => event.type)).toEqual(['BudgetReserved']);
  });

  it("limits only its own key's calls with a key budget, and releases the tenant hold when the key's refuses", async () => {
    await budget({ scope: 'tenant', period: 'daily', limitMicros: 100_000, enforcement: 'hard' });
    await budget({ scope: 'key', keyId, period: 'daily', limitMicros: 5_000, enforcement: 'hard' });
    const guard = createBudgetGuard({ store });

    await expect(guard.reserve({ tenantId, keyId, callId: callId(), worstCaseMicros: 6_000, now })).rejects.toMatchObject({
      code: 'TESSERA_BUDGET_EXHAUSTED',
      scope: 'key',
      keyId,
      remainingMicros: 5_000,
    });
    expect((await eventsOf({ scope: 'tenant' })).map((event) => event.type)).toEqual(['BudgetReserved', 'BudgetSettled']);
    expect(await guard.remaining(tenantId, keyId, now)).toMatchObject([
      { scope: 'tenant', reservedMicros: 0, remainingMicros: 100_000 },
      { scope: 'key', keyId, reservedMicros: 0, remainingMicros: 5_000 },
    ]);

    const other = await guard.reserve({ tenantId, keyId: otherKeyId, callId: callId(), worstCaseMicros: 6_000, now });
    expect(other.holds.map((hold) => hold.window.scope)).toEqual(['tenant']);
  });

  it('never refuses on a soft budget, and records each threshold as settled spend crosses it', async () => {
    await budget({ scope: 'tenant', period: 'daily', limitMicros: 10_000, enforcement: 'soft' });
    const guard = createBudgetGuard({ store });
    const first = await guard.reserve({ tenantId, callId: callId(), worstCaseMicros: 20_000, now });
    await guard.settle(first, 6_000, now);
    const second = await guard.reserve({ tenantId, callId: callId(), worstCaseMicros: 20_000, now });
    await guard.settle(second, 9_000, now);
    await guard.ensureAvailable(tenantId, undefined, now);

    const crossed = (await eventsOf({ scope: 'tenant' })).filter((event) => event.type === 'BudgetThresholdCrossed');
    expect(crossed.map((event) => event.data as BudgetThresholdCrossedData)).toMatchObject([
      { percent: 50, spentMicros: 6_000, limitMicros: 10_000, scope: 'tenant', period: 'daily', window: '2026-03-14' },
      { percent: 80, spentMicros: 15_000 },
      { percent: 100, spentMicros: 15_000 },
    ]);
    expect(await guard.remaining(tenantId, undefined, now)).toMatchObject([{ spentMicros: 15_000, remainingMicros: 0 }]);
  });

  it('turns requests away before any call once a hard budget has nothing left', async () => {
    await budget({ scope: 'tenant', period: 'monthly', limitMicros: 4_000, enforcement: 'hard' });
    const guard = createBudgetGuard({ store });
    await guard.ensureAvailable(tenantId, keyId, now);
    await guard.settle(await guard.reserve({ tenantId, callId: callId(), worstCaseMicros: 4_000, now }), 4_000, now);
    await expect(guard.ensureAvailable(tenantId, keyId, now)).rejects.toMatchObject({
      code: 'TESSERA_BUDGET_EXHAUSTED',
      period: 'monthly',
      remainingMicros: 0,
      resetsAt: '2026-04-01T00:00:00.000Z',
    });
  });

  it('checks availability from what it knows, reading the window again only once that is older than the limit', async () => {
    await budget({ scope: 'tenant', period: 'monthly', limitMicros: 4_000, enforcement: 'hard' });
    let clock = 0;
    const { store: counted, counts } = countingStore(store);
    const guard = createBudgetGuard({ store: counted, standingMaxAgeMs: 1_000, clock: () => clock });
    const elsewhere = createBudgetGuard({ store });
    await guard.ensureAvailable(tenantId, keyId, now);
    expect(counts.budgetReads).toBe(1);
    // Its own holds and settlements keep it current: no read per request.
    await guard.settle(await guard.reserve({ tenantId, callId: callId(), worstCaseMicros: 1_000, now }), 1_000, now);
    for (let index = 0; index < 5; index += 1) await guard.ensureAvailable(tenantId, keyId, now);
    expect(counts.budgetReads).toBe(1);
    // Another process spends the rest: counted once the standing is older than the limit.
    await elsewhere.settle(await elsewhere.reserve({ tenantId, callId: callId(), worstCaseMicros: 3_000, now }), 3_000, now);
    clock = 999;
    await guard.ensureAvailable(tenantId, keyId, now);
    clock = 1_001;
    await expect(guard.ensureAvailable(tenantId, keyId, now)).rejects.toMatchObject({ code: 'TESSERA_BUDGET_EXHAUSTED', remainingMicros: 0 });
    expect(counts.budgetReads).toBe(2);
  });

  it('settles a call against the window it reserved in, and starts the next window empty', async () => {
    await budget({ scope: 'tenant', period: 'daily', limitMicros: 10_000, enforcement: 'hard' });
    const guard = createBudgetGuard({ store });
    const beforeMidnight = new Date('2026-03-14T23:59:59.900Z');
    const afterMidnight = new Date('2026-03-15T00:00:00.100Z');
    const reservation = await guard.reserve({ tenantId, callId: callId(), worstCaseMicros: 10_000, now: beforeMidnight });
    expect(await guard.remaining(tenantId, undefined, afterMidnight)).toMatchObject([{ window: '2026-03-15', remainingMicros: 10_000 }]);
    await guard.settle(reservation, 2_000, afterMidnight);
    expect(await guard.remaining(tenantId, undefined, beforeMidnight)).toMatchObject([{ window: '2026-03-14', spentMicros: 2_000, reservedMicros: 0 }]);
    expect(await guard.remaining(tenantId, undefined, afterMidnight)).toMatchObject([{ window: '2026-03-15', spentMicros: 0 }]);
  });

  it('applies a budget set elsewhere once its cached budgets are older than the refresh interval, or at once after forget', async () => {
    let clock = 0;
    const guard: BudgetGuard = createBudgetGuard({ store, definitionsMaxAgeMs: 1_000, clock: () => clock });
    expect((await guard.reserve({ tenantId, callId: callId(), worstCaseMicros: 1, now })).holds).toHaveLength(0);
    await budget({ scope: 'tenant', period: 'daily', limitMicros: 10, enforcement: 'hard' });

    clock = 999;
    expect((await guard.reserve({ tenantId, callId: callId(), worstCaseMicros: 1, now })).holds).toHaveLength(0);
    clock = 1_000;
    expect((await guard.reserve({ tenantId, callId: callId(), worstCaseMicros: 1, now })).holds).toHaveLength(1);

    await budget({ scope: 'tenant', period: 'monthly', limitMicros: 10, enforcement: 'hard' });
    guard.forget(tenantId);
    expect((await guard.reserve({ tenantId, callId: callId(), worstCaseMicros: 1, now })).holds).toHaveLength(2);
  });
});
