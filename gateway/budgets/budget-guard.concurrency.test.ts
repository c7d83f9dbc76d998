import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setBudget } from '../../commands/budgets.js';
import { createTenant } from '../../commands/tenants.js';
import { BudgetExhaustedError } from '../../domain/budget/budget-errors.js';
import type { BudgetReservedData, BudgetSettledData, BudgetThresholdCrossedData } from '../../domain/budget/budget-events.js';
import { budgetStreamId, windowOf } from '../../domain/budget/budget-window.js';
import { createBudgetGuard, type BudgetGuard } from './budget-guard.js';
import type { BudgetReservation } from './budget-reservation.js';
import { openBudgetTestStores, type BudgetTestBackend, type BudgetTestStores } from './budget-test-stores.js';

const WORST_CASE = 10_000;
/** Room for ten worst cases and half of an eleventh, so a refusal has something to report. */
const LIMIT = 10 * WORST_CASE + WORST_CASE / 2;
const CALLS = 100;
const now = new Date('2026-03-14T09:30:00.000Z');

/** All in one tick (each process drains its queue in few appends), or spread over 20 ms (many small appends that collide). */
type Arrival = 'at once' | 'in waves';
const arrive = (arrival: Arrival, index: number) => (arrival === 'at once' ? Promise.resolve() : sleep(index % 20));

/**
 * Two guards with their own connections reserve against one hard budget at once, as two
 * worker processes would: optimistic concurrency on the window stream is all that stands
 * between them and overspending.
 */
describe.each<[BudgetTestBackend, Arrival]>([
  ['postgresql', 'at once'],
  ['postgresql', 'in waves'],
  ['pglite', 'at once'],
  ['pglite', 'in waves'],
])('budget guards in two processes (%s, calls arriving %s)', (backend, arrival) => {
  let opened: BudgetTestStores;
  let guards: BudgetGuard[];
  let tenantId: string;

  beforeAll(async () => {
    opened = await openBudgetTestStores(backend, 2);
    const [first] = opened.stores;
    tenantId = await createTenant(first!, { name: 'Concurrent', actor: 'test' });
    await setBudget(first!, { tenantId, scope: 'tenant', period: 'daily', limitMicros: LIMIT, enforcement: 'hard', actor: 'test' });
    // As in a running process: settlements linger (TESSERA_BUDGET_SETTLE_LINGER_MS), and holds are
    // taken ahead (TESSERA_BUDGET_HOLDS_AHEAD), which room for ten calls is far too little for.
    guards = opened.stores.map((store) => createBudgetGuard({ store, settleLingerMs: 50, holdsAhead: 8 }));
  });
  afterAll(() => opened?.close());

  const windowEvents = async () => {
    const stream = budgetStreamId(tenantId, windowOf({ scope: 'tenant', period: 'daily' }, now));
    return (await opened.stores[0]!.readStream(stream)).events;
  };

  it(`accepts ten of ${CALLS} concurrent calls with room for ten, records each threshold once, and never overspends`, async () => {
    const outcomes = await Promise.allSettled(
      Array.from({ length: CALLS }, async (_, index) => {
        await arrive(arrival, index);
        return guards[index % 2]!.reserve({ tenantId, callId: `call-${index}`, worstCaseMicros: WORST_CASE, now });
      }),
    );

    const accepted = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
    const refusals = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as unknown] : []));
    expect(accepted).toHaveLength(10);
    expect(refusals).toHaveLength(CALLS - 10);
    for (const refusal of refusals) {
      expect(BudgetExhaustedError.isInstance(refusal), String(refusal)).toBe(true);
      expect(refusal).toMatchObject({ remainingMicros: WORST_CASE / 2, limitMicros: LIMIT, requestedMicros: WORST_CASE, resetsAt: '2026-03-15T00:00:00.000Z' });
    }
    const held = (await windowEvents()).filter((event) => event.type === 'BudgetReserved');
    expect(held).toHaveLength(10);
    expect(held.reduce((sum, event) => sum + (event.data as BudgetReservedData).worstCaseMicros, 0)).toBeLessThanOrEqual(LIMIT);

    // Settled from both processes at once: 10 × WORST_CASE is 95 % of the limit.
    await Promise.all(accepted.map((reservation, index) => guards[index % 2]!.settle(reservation, WORST_CASE, now)));
    // The half worst case left fits one small call; settled in full it reaches 100 %.
    const last: BudgetReservation = await guards[1]!.reserve({ tenantId, callId: 'call-last', worstCaseMicros: WORST_CASE / 2, now });
    await guards[0]!.settle(last, WORST_CASE / 2, now);

    const events = await windowEvents();
    const spent = events
      .filter((event) => event.type === 'BudgetSettled')
      .reduce((sum, event) => sum + (event.data as BudgetSettledData).actualMicros, 0);
    expect(spent).toBe(LIMIT);
    const thresholds = events
      .filter((event) => event.type === 'BudgetThresholdCrossed')
      .map((event) => (event.data as BudgetThresholdCrossedData).percent);
    expect(thresholds).toEqual([50, 80, 100]);
    for (const guard of guards) {
      expect(await guard.remaining(tenantId, undefined, now)).toMatchObject([{ spentMicros: LIMIT, reservedMicros: 0, remainingMicros: 0 }]);
    }
  });
});
