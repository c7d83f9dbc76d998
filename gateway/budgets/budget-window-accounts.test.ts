import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidBudgetAmountError } from '../../domain/budget/budget-errors.js';
import type { ReserveBudget, SettleBudget } from '../../domain/budget/budget-window-decider.js';
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

const settle = (reservationId: string, actualMicros: number): SettleBudget => ({
  type: 'SettleBudget',
  data: { reservationId, actualMicros, limitMicros: 10_000, window, now },
});

const typesAndIds = (events: readonly { type: string; data: unknown }[]) =>
  events.map((event) => `${event.type} ${(event.data as { reservationId: string }).reservationId}`);

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

  it('keeps a lingering settlement until the next hold and appends both together', async () => {
    const accounts = createBudgetWindowAccounts(store, { lingerMs: 60_000 });
    const stream = budgetStreamId('linger-next-hold', window);
    await accounts.execute(stream, reserve('first', 1_000), metadata);
    appends = 0;
    announcements = [];
    let settled = false;
    const settling = accounts.execute(stream, settle('first', 400), metadata, { lingering: true }).then((state) => ((settled = true), state));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(appends).toBe(0);
    expect(settled).toBe(false);

    const afterHold = await accounts.execute(stream, reserve('second', 1_000), metadata);
    expect(afterHold).toMatchObject({ spentMicros: 400, reservedMicros: 1_000 });
    expect(await settling).toMatchObject({ spentMicros: 400, reservedMicros: 0 });
    expect(appends).toBe(1);
    const { events } = await store.readStream(stream);
    expect(typesAndIds(events)).toEqual(['BudgetReserved first', 'BudgetSettled first', 'BudgetReserved second']);
  });

  it('appends a lingering settlement alone once its linger ends', async () => {
    const accounts = createBudgetWindowAccounts(store, { lingerMs: 40 });
    const stream = budgetStreamId('linger-alone', window);
    await accounts.execute(stream, reserve('only', 1_000), metadata);
    appends = 0;
    const started = performance.now();
    expect(await accounts.execute(stream, settle('only', 250), metadata, { lingering: true })).toMatchObject({ spentMicros: 250, reservedMicros: 0 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(35);
    expect(appends).toBe(1);
  });

  it('writes lingering settlements at once before its own read and on flush', async () => {
    const accounts = createBudgetWindowAccounts(store, { lingerMs: 60_000 });
    const read = budgetStreamId('linger-read', window);
    const flushed = budgetStreamId('linger-flush', window);
    for (const stream of [read, flushed]) await accounts.execute(stream, reserve('call', 1_000), metadata);
    for (const stream of [read, flushed]) void accounts.execute(stream, settle('call', 300), metadata, { lingering: true });

    expect(await accounts.current(read)).toMatchObject({ spentMicros: 300, reservedMicros: 0 });
    expect((await store.readStream(flushed)).events).toHaveLength(1);
    await accounts.flush();
    expect(typesAndIds((await store.readStream(flushed)).events)).toEqual(['BudgetReserved call', 'BudgetSettled call']);
  });
});
