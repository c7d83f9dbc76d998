import { describe, expect, it } from 'vitest';
import { createEventRegistry } from '../events/all-event-types.js';
import { deciderSpecification } from '../shared/decider-specification.js';
import type { BudgetEnforcement } from './budget-definition.js';
import { BudgetExhaustedError, InvalidBudgetAmountError } from './budget-errors.js';
import type { BudgetWindowEvent, ThresholdPercent } from './budget-events.js';
import { budgetWindowDecider, remainingMicrosOf, type ReserveBudget, type SettleBudget } from './budget-window-decider.js';
import { windowOf } from './budget-window.js';

const given = deciderSpecification(budgetWindowDecider);
const now = new Date('2026-03-14T09:30:00.000Z');
const window = windowOf({ scope: 'tenant', period: 'daily' }, now);
const LIMIT = 1_000_000;

const reserve = (reservationId: string, worstCaseMicros: number, enforcement: BudgetEnforcement = 'hard'): ReserveBudget => ({
  type: 'ReserveBudget',
  data: { reservationId, callId: `call-${reservationId}`, worstCaseMicros, limitMicros: LIMIT, enforcement, window, now },
});
const settle = (reservationId: string, actualMicros: number): SettleBudget => ({
  type: 'SettleBudget',
  data: { reservationId, actualMicros, limitMicros: LIMIT, window, now },
});
const reserved = (reservationId: string, worstCaseMicros: number, enforcement: BudgetEnforcement = 'hard'): BudgetWindowEvent => ({
  type: 'BudgetReserved',
  data: { reservationId, callId: `call-${reservationId}`, worstCaseMicros, limitMicros: LIMIT, enforcement, reservedAt: now.toISOString() },
});
const settled = (reservationId: string, actualMicros: number): BudgetWindowEvent => ({
  type: 'BudgetSettled',
  data: { reservationId, actualMicros, settledAt: now.toISOString() },
});
const crossed = (percent: ThresholdPercent, spentMicros: number): BudgetWindowEvent => ({
  type: 'BudgetThresholdCrossed',
  data: { percent, spentMicros, limitMicros: LIMIT, scope: 'tenant', keyId: undefined, period: 'daily', window: '2026-03-14', crossedAt: now.toISOString() },
});

describe('budget window', () => {
  describe('when nothing was reserved', () => {
    it('reserves a worst case that fits the limit exactly', () => {
      given([]).when(reserve('r1', LIMIT)).then([reserved('r1', LIMIT)]);
    });

    it('refuses a worst case above a hard limit, saying what is left and when it resets', () => {
      given([])
        .when(reserve('r1', LIMIT + 1))
        .thenThrows(BudgetExhaustedError, {
          code: 'TESSERA_BUDGET_EXHAUSTED',
          remainingMicros: LIMIT,
          limitMicros: LIMIT,
          requestedMicros: LIMIT + 1,
          scope: 'tenant',
          period: 'daily',
          window: '2026-03-14',
          resetsAt: '2026-03-15T00:00:00.000Z',
        });
    });

    it('refuses amounts that are not whole micros, naming them', () => {
      given([]).when(reserve('r1', 1.5)).thenThrows(InvalidBudgetAmountError, { field: 'worstCaseMicros' });
      given([reserved('r1', 5)]).when(settle('r1', -1)).thenThrows(InvalidBudgetAmountError, { field: 'actualMicros' });
    });

    it('accepts any worst case on a soft budget', () => {
      given([]).when(reserve('r1', LIMIT * 3, 'soft')).then([reserved('r1', LIMIT * 3, 'soft')]);
    });
  });

  describe('when reservations hold part of a hard budget', () => {
    const history = [reserved('r1', 400_000), reserved('r2', 400_000)];

    it('counts open holds against new reservations', () => {
      given(history)
        .when(reserve('r3', 200_001))
        .thenThrows(BudgetExhaustedError, { remainingMicros: 200_000 });
      given(history).when(reserve('r3', 200_000)).then([reserved('r3', 200_000)]);
    });

    it('keeps a reservation that is made again (a redelivered call) without holding twice', () => {
      given(history).when(reserve('r1', 400_000)).thenNothingHappened();
    });

    it('releases the difference between the worst case and the settled cost', () => {
      const state = given([...history, settled('r1', 100_000)]).state();
      expect(state).toMatchObject({ spentMicros: 100_000, reservedMicros: 400_000 });
      expect(remainingMicrosOf(state, LIMIT, now)).toBe(500_000);
      given([...history, settled('r1', 100_000)]).when(reserve('r3', 500_000)).then([reserved('r3', 500_000)]);
    });

    it('releases the whole hold of a call that failed before costing anything', () => {
      given(history).when(settle('r2', 0)).then([settled('r2', 0)]);
      expect(given([...history, settled('r2', 0)]).state()).toMatchObject({ spentMicros: 0, reservedMicros: 400_000 });
    });

    it('settles a reservation only once', () => {
      given([...history, settled('r1', 100_000)]).when(settle('r1', 100_000)).thenNothingHappened();
    });

    it('ignores a settle for a reservation it never held', () => {
      given(history).when(settle('elsewhere', 100_000)).thenNothingHappened();
    });
  });

  describe('thresholds', () => {
    it('records 50 % when settled spend reaches half the limit', () => {
      given([reserved('r1', 600_000)]).when(settle('r1', 500_000)).then([settled('r1', 500_000), crossed(50, 500_000)]);
    });

    it('does not count holds: a large reservation crosses nothing until it settles', () => {
      given([reserved('r1', LIMIT)]).when(reserve('r2', 0)).then([reserved('r2', 0)]);
      given([reserved('r1', 600_000)]).when(settle('r1', 499_999)).then([settled('r1', 499_999)]);
    });

    it('records every threshold one settle jumps over, in order', () => {
      given([reserved('r1', LIMIT)]).when(settle('r1', LIMIT)).then([settled('r1', LIMIT), crossed(50, LIMIT), crossed(80, LIMIT), crossed(100, LIMIT)]);
    });

    it('records each threshold once per window', () => {
      const history = [reserved('r1', 600_000), settled('r1', 600_000), crossed(50, 600_000), reserved('r2', 100_000)];
      given(history).when(settle('r2', 100_000)).then([settled('r2', 100_000)]);
      given([...history, settled('r2', 100_000), reserved('r3', 300_000)])
        .when(settle('r3', 100_000))
        .then([settled('r3', 100_000), crossed(80, 800_000)]);
    });

    it('keeps recording past 100 % on a soft budget without refusing', () => {
      const history = [reserved('r1', LIMIT, 'soft'), settled('r1', LIMIT), crossed(50, LIMIT), crossed(80, LIMIT), crossed(100, LIMIT)];
      given(history).when(reserve('r2', LIMIT, 'soft')).then([reserved('r2', LIMIT, 'soft')]);
      given([...history, reserved('r2', LIMIT, 'soft')]).when(settle('r2', LIMIT)).then([settled('r2', LIMIT)]);
      expect(given([...history, reserved('r2', LIMIT, 'soft'), settled('r2', LIMIT)]).state().spentMicros).toBe(2 * LIMIT);
    });

    it('refuses on a hard budget once settled spend has used it up', () => {
      given([reserved('r1', LIMIT), settled('r1', LIMIT)]).when(reserve('r2', 1)).thenThrows(BudgetExhaustedError, { remainingMicros: 0 });
    });
  });

  it('writes data the registry accepts', () => {
    const registry = createEventRegistry();
    for (const event of [reserved('r1', 5), settled('r1', 4), crossed(80, 800_000)]) {
      expect(registry.encode(event.type, event.data).data).toEqual(event.data);
    }
    expect(() => registry.encode('BudgetThresholdCrossed', { ...crossed(80, 1).data, percent: 90 })).toThrow(
      expect.objectContaining({ field: 'data.percent' }) as Error,
    );
  });

  describe('holds taken ahead of their calls', () => {
    const ahead = (reservationId: string, worstCaseMicros: number, minimumLeftMicros: number, enforcement: BudgetEnforcement = 'hard'): ReserveBudget => ({
      type: 'ReserveBudget',
      data: { reservationId, worstCaseMicros, minimumLeftMicros, limitMicros: LIMIT, enforcement, window, now },
    });

    it('holds one naming no call while the room it must leave stays free', () => {
      given([reserved('r1', 400_000)])
        .when(ahead('a1', 100_000, 500_000))
        .then([{ type: 'BudgetReserved', data: { reservationId: 'a1', worstCaseMicros: 100_000, limitMicros: LIMIT, enforcement: 'hard', reservedAt: now.toISOString() } }]);
    });

    it('refuses one that would leave less room free, even on a soft budget', () => {
      for (const enforcement of ['hard', 'soft'] as const) {
        given([reserved('r1', 400_000)])
          .when(ahead('a1', 100_000, 500_001, enforcement))
          .thenThrows(BudgetExhaustedError, { remainingMicros: 600_000, requestedMicros: 600_001 });
      }
    });

    it('settles one naming the call it served', () => {
      given([reserved('a1', 100_000)])
        .when({ type: 'SettleBudget', data: { reservationId: 'a1', callId: 'call-7', actualMicros: 2_000, limitMicros: LIMIT, window, now } })
        .then([{ type: 'BudgetSettled', data: { reservationId: 'a1', callId: 'call-7', actualMicros: 2_000, settledAt: now.toISOString() } }]);
    });
  });

  describe('when holds expire', () => {
    const minute = 60_000;
    const later = (milliseconds: number) => new Date(now.getTime() + milliseconds);
    const expiring = (reservationId: string, worstCaseMicros: number, at = now): BudgetWindowEvent => ({
      type: 'BudgetReserved',
      data: {
        reservationId,
        callId: `call-${reservationId}`,
        worstCaseMicros,
        limitMicros: LIMIT,
        enforcement: 'hard',
        reservedAt: at.toISOString(),
        expiresAt: new Date(at.getTime() + 10 * minute).toISOString(),
      },
    });
    const reserveAt = (at: Date, reservationId: string, worstCaseMicros: number): ReserveBudget => ({
      type: 'ReserveBudget',
      data: { ...reserve(reservationId, worstCaseMicros).data, now: at, expiresAt: new Date(at.getTime() + 10 * minute) },
    });
    const history = [expiring('dead', 600_000), reserved('old', 300_000)];

    it('counts a hold until it expires, then frees its room (a hold recorded without an expiry counts until it settles)', () => {
      const state = given(history).state();
      expect(remainingMicrosOf(state, LIMIT, later(10 * minute - 1))).toBe(100_000);
      expect(remainingMicrosOf(state, LIMIT, later(10 * minute))).toBe(700_000);
      given(history).when(reserveAt(later(minute), 'new', 600_000)).thenThrows(BudgetExhaustedError, { remainingMicros: 100_000 });
      given(history)
        .when(reserveAt(later(10 * minute), 'new', 600_000))
        .then([expiring('new', 600_000, later(10 * minute))]);
    });

    it('still counts what an expired hold spent when it settles late', () => {
      const state = given([...history, settled('dead', 250_000)]).state();
      expect(state).toMatchObject({ spentMicros: 250_000, reservedMicros: 300_000, expiries: {} });
      expect(remainingMicrosOf(state, LIMIT, later(11 * minute))).toBe(450_000);
    });

    it('takes anew a hold made again that would lapse before the retried call ends, in its own room', () => {
      const retry = (at: Date, keepForMs: number, worstCaseMicros = 600_000): ReserveBudget => ({
        type: 'ReserveBudget',
        data: { ...reserveAt(at, 'dead', worstCaseMicros).data, keepUntil: new Date(at.getTime() + keepForMs) },
      });
      given(history).when(retry(later(5 * minute), 5 * minute - 1)).thenNothingHappened();
      given(history).when(retry(later(5 * minute), 5 * minute)).then([expiring('dead', 600_000, later(5 * minute))]);
      const renewed = given([...history, expiring('dead', 600_000, later(5 * minute))]).state();
      expect(renewed.reservedMicros).toBe(900_000);
      // The renewal needs room only beyond what the hold it replaces already held.
      given(history).when(retry(later(5 * minute), 5 * minute, 700_000)).then([expiring('dead', 700_000, later(5 * minute))]);
      given(history).when(retry(later(5 * minute), 5 * minute, 700_001)).thenThrows(BudgetExhaustedError, { remainingMicros: 700_000 });
    });

    it('keeps a live hold that is made again, and takes an expired one anew, checking the room again, without holding twice', () => {
      given(history).when(reserveAt(later(minute), 'dead', 600_000)).thenNothingHappened();
      given(history).when(reserveAt(later(11 * minute), 'dead', 600_000)).then([expiring('dead', 600_000, later(11 * minute))]);
      const events = [expiring('dead', 600_000, later(11 * minute))];
      const state = given([...history, ...events]).state();
      expect(state.reservedMicros).toBe(900_000);
      expect(remainingMicrosOf(state, LIMIT, later(11 * minute))).toBe(100_000);
      given([...history, reserved('other', 200_000)]).when(reserveAt(later(11 * minute), 'dead', 600_000)).thenThrows(BudgetExhaustedError, { remainingMicros: 500_000 });
    });
  });
});
