import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BudgetReservedData, BudgetSettledData } from '../../domain/budget/budget-events.js';
import { budgetStreamId, windowOf } from '../../domain/budget/budget-window.js';
import type { EventStore } from '../../infra/event-store/port.js';
import type { BudgetHold } from './budget-reservation.js';
import { createBudgetWindowAccounts, type BudgetWindowAccounts } from './budget-window-accounts.js';
import { openBudgetTestStores, type BudgetTestBackend, type BudgetTestStores } from './budget-test-stores.js';
import { createHoldsAhead, ROOM_FACTOR, type HoldsAhead } from './holds-ahead.js';

const today = new Date('2026-03-14T09:30:00.000Z');
const tomorrow = new Date('2026-03-15T09:30:00.000Z');
const COUNT = 4;

describe.each<BudgetTestBackend>(['postgresql', 'pglite'])('holds taken ahead (%s)', (backend) => {
  let opened: BudgetTestStores;
  let store: EventStore;
  let appends: number;
  let reads: number;
  let tenants = 0;

  beforeAll(async () => {
    opened = await openBudgetTestStores(backend, 1);
    const inner = opened.stores[0]!;
    store = {
      ...inner,
      appendToStream: (...args) => ((appends += 1), inner.appendToStream(...args)),
      readStream: (...args) => ((reads += 1), inner.readStream(...args)),
    };
  });
  afterAll(() => opened?.close());

  /** A fresh tenant with a hard daily budget (and a key budget when `keyLimitMicros` is given). */
  const setUp = (limitMicros: number, keyLimitMicros?: number) => {
    const tenantId = `tenant-${(tenants += 1)}`;
    const holdsOn = (now: Date): BudgetHold[] => {
      const tenantWindow = windowOf({ scope: 'tenant', period: 'daily' }, now);
      const holds: BudgetHold[] = [{ streamId: budgetStreamId(tenantId, tenantWindow), window: tenantWindow, limitMicros, enforcement: 'hard' }];
      if (keyLimitMicros !== undefined) {
        const keyWindow = windowOf({ scope: 'key', keyId: 'key-1', period: 'daily' }, now);
        holds.push({ streamId: budgetStreamId(tenantId, keyWindow), window: keyWindow, limitMicros: keyLimitMicros, enforcement: 'hard' });
      }
      return holds;
    };
    const accounts: BudgetWindowAccounts = createBudgetWindowAccounts(store, { lingerMs: 10_000 });
    const ahead: HoldsAhead = createHoldsAhead({ accounts, count: COUNT, clock: () => performance.now() });
    const owner = { tenantId, keyId: keyLimitMicros === undefined ? undefined : 'key-1' };
    const eventsOf = async (hold: BudgetHold) => (await store.readStream(hold.streamId)).events;
    return { owner, holdsOn, accounts, ahead, eventsOf };
  };

  it('holds room for the next calls in one append per window and hands it out without appending', async () => {
    const { owner, holdsOn, accounts, ahead, eventsOf } = setUp(1_000_000_000);
    const holds = holdsOn(today);
    expect(ahead.take(owner, holds, 3_000, today)).toBeUndefined();
    appends = 0;
    await ahead.topUp(owner, holds, 3_000, today);
    expect(appends).toBe(1);

    const reserved = (await eventsOf(holds[0]!)).map((event) => event.data as BudgetReservedData);
    // Sized to the power of two above the worst case, naming no call.
    expect(reserved).toHaveLength(COUNT);
    expect(reserved.every((data) => data.worstCaseMicros === 4_096 && data.callId === undefined)).toBe(true);

    appends = 0;
    const first = ahead.take(owner, holds, 3_000, today);
    expect(appends).toBe(0);
    // Half the holds left: the take that leaves them tops the pool up, in one append.
    const next = [ahead.take(owner, holds, 4_096, today), ahead.take(owner, holds, 1, today)];
    expect(appends).toBe(1);
    await ahead.topUp(owner, holds, 1, today);
    expect(appends).toBe(1);
    expect([first, ...next].map((hold) => hold?.reservationId)).toEqual(reserved.slice(0, 3).map((data) => data.reservationId));
    // The four first holds (three with calls now) and the two that refill the pool.
    expect((await accounts.current(holds[0]!.streamId)).reservedMicros).toBe((COUNT + 2) * 4_096);
  });

  it('gives its holds a lifetime, and hands none to a call with less of it left than a call may take', async () => {
    const { owner, holdsOn, accounts, eventsOf } = setUp(1_000_000_000);
    const lifetime = { holdMs: 600_000, callMs: 120_000 };
    const ahead = createHoldsAhead({ accounts, count: COUNT, clock: () => performance.now(), lifetime });
    const at = (milliseconds: number) => new Date(today.getTime() + milliseconds);
    const holds = holdsOn(today);
    await ahead.topUp(owner, holds, 3_000, today);
    const first = (await eventsOf(holds[0]!)).map((event) => event.data as BudgetReservedData);
    expect(first.map((data) => data.expiresAt)).toEqual(first.map(() => at(lifetime.holdMs).toISOString()));

    // Exactly a call's time left: still handed out. Less: the call holds on its own, and the pool is filled anew.
    const late = at(lifetime.holdMs - lifetime.callMs + 1);
    expect(first.map((data) => data.reservationId)).toContain(ahead.take(owner, holds, 3_000, at(lifetime.holdMs - lifetime.callMs))?.reservationId);
    expect(ahead.take(owner, holds, 3_000, late)).toBeUndefined();
    await ahead.topUp(owner, holds, 3_000, late);
    const next = ahead.take(owner, holds, 3_000, late);
    expect(next).toBeDefined();
    expect(first.map((data) => data.reservationId)).not.toContain(next?.reservationId);
    expect(next?.expiresAt).toBe(late.getTime() + lifetime.holdMs);

    // The old holds no call took went back.
    await accounts.flush();
    const released = (await eventsOf(holds[0]!)).filter((event) => event.type === 'BudgetSettled').map((event) => (event.data as BudgetSettledData).reservationId);
    expect(released.sort()).toEqual(first.slice(1).map((data) => data.reservationId).sort());
    await ahead.releaseAll();
  });

  it('frees holds too small for a call, which then holds on its own, and sizes the next ones for it', async () => {
    const { owner, holdsOn, accounts, ahead, eventsOf } = setUp(1_000_000_000);
    const holds = holdsOn(today);
    await ahead.topUp(owner, holds, 1_000, today);
    expect(ahead.take(owner, holds, 5_000, today)).toBeUndefined();
    await ahead.topUp(owner, holds, 5_000, today);
    await accounts.flush();

    const events = await eventsOf(holds[0]!);
    const settled = events.filter((event) => event.type === 'BudgetSettled').map((event) => event.data as BudgetSettledData);
    expect(settled).toHaveLength(COUNT);
    expect(settled.every((data) => data.actualMicros === 0)).toBe(true);
    expect(ahead.take(owner, holds, 5_000, today)?.worstCaseMicros).toBe(8_192);
    expect((await accounts.current(holds[0]!.streamId)).reservedMicros).toBe(COUNT * 8_192);
  });

  it(`takes nothing ahead unless ${ROOM_FACTOR} times the room stays free`, async () => {
    const size = 1_024;
    const { owner, holdsOn, accounts, ahead, eventsOf } = setUp(ROOM_FACTOR * COUNT * size + size - 1);
    const holds = holdsOn(today);
    await ahead.topUp(owner, holds, size, today);
    await accounts.flush();
    expect(await eventsOf(holds[0]!)).toEqual([]);
    expect(ahead.take(owner, holds, size, today)).toBeUndefined();
    // Refused once, it does not try again on every call.
    reads = 0;
    await ahead.topUp(owner, holds, size, today);
    expect(reads).toBe(0);
  });

  it('gives back what one window held when the other refused, and holds nothing on either', async () => {
    const size = 1_024;
    const { owner, holdsOn, accounts, ahead, eventsOf } = setUp(1_000_000_000, ROOM_FACTOR * COUNT * size);
    const holds = holdsOn(today);
    await ahead.topUp(owner, holds, size, today);
    await accounts.flush();
    expect(ahead.take(owner, holds, size, today)).toBeUndefined();
    expect(await eventsOf(holds[1]!)).toEqual([]);
    expect((await eventsOf(holds[0]!)).map((event) => event.type)).toEqual([...Array.from({ length: COUNT }, () => 'BudgetReserved'), ...Array.from({ length: COUNT }, () => 'BudgetSettled')]);
    expect((await accounts.current(holds[0]!.streamId)).reservedMicros).toBe(0);
  });

  it("serves no call of a new window from the old one's holds, and releases them", async () => {
    const { owner, holdsOn, accounts, ahead } = setUp(1_000_000_000);
    const yesterday = holdsOn(today);
    await ahead.topUp(owner, yesterday, 1_000, today);
    expect(ahead.take(owner, holdsOn(tomorrow), 1_000, tomorrow)).toBeUndefined();
    await accounts.flush();
    expect((await accounts.current(yesterday[0]!.streamId)).reservedMicros).toBe(0);
  });

  it("releases a tenant's holds when its budgets change", async () => {
    const { owner, holdsOn, accounts, ahead } = setUp(1_000_000_000);
    const holds = holdsOn(today);
    await ahead.topUp(owner, holds, 1_000, today);
    ahead.releaseTenant(owner.tenantId);
    await accounts.flush();
    expect((await accounts.current(holds[0]!.streamId)).reservedMicros).toBe(0);
    expect(ahead.take(owner, holds, 1_000, today)).toBeUndefined();
  });

  it('releases the holds of a key no call has used for a while', async () => {
    const { owner, holdsOn, accounts } = setUp(1_000_000_000);
    const ahead = createHoldsAhead({ accounts, count: COUNT, clock: () => performance.now(), idleMs: 100 });
    const holds = holdsOn(today);
    await ahead.topUp(owner, holds, 1_000, today);
    expect((await accounts.current(holds[0]!.streamId)).reservedMicros).toBe(COUNT * 1_024);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await accounts.flush();
    expect((await accounts.current(holds[0]!.streamId)).reservedMicros).toBe(0);
    expect(ahead.take(owner, holds, 1_000, today)).toBeUndefined();
    await ahead.releaseAll();
  });

  it('releases every unused hold when the process closes', async () => {
    const { owner, holdsOn, accounts, ahead } = setUp(1_000_000_000, 1_000_000_000);
    const holds = holdsOn(today);
    await ahead.topUp(owner, holds, 1_000, today);
    const used = [ahead.take(owner, holds, 1_000, today)!, ahead.take(owner, holds, 1_000, today)!];
    // Two left: more are being taken when the process closes, and are released too.
    expect(ahead.topUp(owner, holds, 1_000, today)).toBeInstanceOf(Promise);
    await ahead.releaseAll();
    await accounts.flush();
    for (const hold of holds) {
      // Only the holds calls took are still held: the calls settle them.
      const state = await accounts.current(hold.streamId);
      expect(state.holds).toEqual(Object.fromEntries(used.map((taken) => [taken.reservationId, 1_024])));
    }
  });
});
