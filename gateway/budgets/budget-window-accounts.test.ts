import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidBudgetAmountError } from '../../domain/budget/budget-errors.js';
import type { ReserveBudget } from '../../domain/budget/budget-window-decider.js';
import { budgetStreamId, windowOf } from '../../domain/budget/budget-window.js';
import type { EventStore } from '../../infra/event-store/port.js';
import { createBudgetWindowAccounts } from './budget-window-accounts.js';
import { openBudgetTestStores, type BudgetTestStores } from './budget-test-stores.js';

const now = new Date('2026-03-14T09:30:00.000Z');
const window = windowOf({ scope: 'tenant', period: 'daily' }, now);
const metadata = { tenantId: 'acme', correlationId: 'test', causationId: 'test' };

const reserve = (reservationId: string, worstCaseMicros: number): ReserveBudget => ({
  type: 'ReserveBudget',
  data: { reservationId, callId: reservationId, worstCaseMicros, limitMicros: 10_000, enforcement: 'hard', window, now },
});

/** Group commit: commands queued on one window leave in one append, and each gets its own answer. */
describe('budget window accounts (postgresql)', () => {
  let opened: BudgetTestStores;
  let appends: number;
  let announcements: (string | undefined)[];
  let store: EventStore;

  beforeAll(async () => {
    opened = await openBudgetTestStores('postgresql', 1);
    const inner = opened.stores[0]!;
    store = { ...inner, appendToStream: (...args) => ((appends += 1), announcements.push(args[2]?.announce), inner.appendToStream(...args)) };
  });
  afterAll(() => opened?.close());

  it('appends queued commands together and refuses only the ones the decider refuses', async () => {
    const accounts = createBudgetWindowAccounts(store);
    const stream = budgetStreamId('acme', window);
    appends = 0;
    announcements = [];
    // The first command starts an append; the next four queue behind it and share the second.
    const outcomes = await Promise.allSettled(
      [reserve('r1', 1_000), reserve('r2', 1_000), reserve('bad', 0.5), reserve('too-big', 9_000), reserve('r3', 1_000)].map((command) =>
        accounts.execute(stream, command, metadata),
      ),
    );

    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect(outcomes[2]).toMatchObject({ reason: expect.any(InvalidBudgetAmountError) as unknown });
    expect(outcomes[3]).toMatchObject({ reason: { code: 'TESSERA_BUDGET_EXHAUSTED', remainingMicros: 8_000 } });
    expect(appends).toBe(2);
    // Nothing subscribes to a window: its appends need no prompt announcement.
    expect(announcements).toEqual(['quietly', 'quietly']);
    const { events } = await store.readStream(stream);
    expect(events.map((event) => (event.data as { reservationId: string }).reservationId)).toEqual(['r1', 'r2', 'r3']);
    expect(await createBudgetWindowAccounts(store).current(stream)).toMatchObject({ reservedMicros: 3_000, spentMicros: 0 });
  });
});
