import type { BudgetEnforcement } from './budget-definition.js';
import { assertBudgetAmount, BudgetExhaustedError } from './budget-errors.js';
import { thresholdPercents, type BudgetThresholdCrossedData, type BudgetWindowEvent, type ThresholdPercent } from './budget-events.js';
import type { BudgetWindow } from './budget-window.js';

/**
 * Holds `worstCaseMicros` against the window. The limit and enforcement come with the
 * command because they live on the tenant stream and may change within a window.
 */
export type ReserveBudget = {
  type: 'ReserveBudget';
  data: {
    reservationId: string;
    /** Absent for a hold taken ahead of its call. */
    callId?: string;
    worstCaseMicros: number;
    /**
     * Refused, whatever the enforcement, unless this much room would be left after the
     * hold: a hold taken ahead of its call keeps clear of the limit, where it could
     * refuse a call that another process has room for.
     */
    minimumLeftMicros?: number;
    limitMicros: number;
    enforcement: BudgetEnforcement;
    window: BudgetWindow;
    now: Date;
    /** When the hold stops counting if it is still open; absent, it counts until it settles. */
    expiresAt?: Date;
    /**
     * A hold this reservation already has is kept only if it lasts until then (a retried
     * call needs its hold for the whole call); otherwise it is taken anew. Default `now`.
     */
    keepUntil?: Date;
  };
};

/** Replaces a hold with the real cost; `limitMicros` is what thresholds are measured against. */
export type SettleBudget = {
  type: 'SettleBudget';
  data: { reservationId: string; actualMicros: number; limitMicros: number; window: BudgetWindow; now: Date; /** The call a hold taken ahead served. */ callId?: string };
};

export type BudgetWindowCommand = ReserveBudget | SettleBudget;

/** A window is a running account rather than a lifecycle: it is always open to both commands. */
export interface BudgetWindowState {
  status: 'open';
  /** Settled cost. */
  spentMicros: number;
  /** Worst cases of the calls still running. */
  reservedMicros: number;
  /** Reservation id → the worst case it holds, for the calls still running only (a settled one is forgotten). */
  holds: Readonly<Record<string, number>>;
  /** Reservation id → when its hold stops counting (epoch milliseconds), for the open holds that expire. */
  expiries: Readonly<Record<string, number>>;
  crossed: readonly ThresholdPercent[];
}

export function initialState(): BudgetWindowState {
  return { status: 'open', spentMicros: 0, reservedMicros: 0, holds: {}, expiries: {}, crossed: [] };
}

export function evolve(state: BudgetWindowState, event: BudgetWindowEvent): BudgetWindowState {
  switch (event.type) {
    case 'BudgetReserved': {
      const { reservationId, worstCaseMicros, expiresAt } = event.data;
      // A hold taken again after it expired (its call was retried) replaces the old one.
      const { [reservationId]: _renewed, ...others } = state.expiries;
      const expiries = expiresAt === undefined ? others : { ...others, [reservationId]: Date.parse(expiresAt) };
      const reservedMicros = state.reservedMicros - (state.holds[reservationId] ?? 0) + worstCaseMicros;
      return { ...state, reservedMicros, holds: { ...state.holds, [reservationId]: worstCaseMicros }, expiries };
    }
    case 'BudgetSettled': {
      const { reservationId } = event.data;
      const held = state.holds[reservationId];
      if (held === undefined) return state;
      const { [reservationId]: _released, ...holds } = state.holds;
      const { [reservationId]: _expiry, ...expiries } = state.expiries;
      return { ...state, spentMicros: state.spentMicros + event.data.actualMicros, reservedMicros: state.reservedMicros - held, holds, expiries };
    }
    case 'BudgetThresholdCrossed':
      return { ...state, crossed: [...state.crossed, event.data.percent] };
    default:
      return state;
  }
}

export function decide(command: BudgetWindowCommand, state: BudgetWindowState): BudgetWindowEvent[] {
  switch (command.type) {
    case 'ReserveBudget':
      return reserve(command.data, state);
    case 'SettleBudget':
      return settle(command.data, state);
    default:
      return unknownCommand(command);
  }
}

function hasExpired(state: BudgetWindowState, reservationId: string, now: Date): boolean {
  const expiresAt = state.expiries[reservationId];
  return expiresAt !== undefined && expiresAt <= now.getTime();
}

/** What the open holds that have not expired by `now` hold. */
export function heldMicrosOf(state: BudgetWindowState, now: Date): number {
  let expired = 0;
  for (const reservationId of Object.keys(state.expiries)) {
    if (hasExpired(state, reservationId, now)) expired += state.holds[reservationId] ?? 0;
  }
  return state.reservedMicros - expired;
}

/** What new calls may still hold: the limit less settled spend and the holds still counting (`heldMicros`, when known), never below zero. */
export function remainingMicrosOf(state: BudgetWindowState, limitMicros: number, now: Date, heldMicros = heldMicrosOf(state, now)): number {
  return Math.max(0, limitMicros - state.spentMicros - heldMicros);
}

function reserve(data: ReserveBudget['data'], state: BudgetWindowState): BudgetWindowEvent[] {
  const { reservationId, callId, worstCaseMicros, minimumLeftMicros = 0, limitMicros, enforcement, window, now, expiresAt, keepUntil = now } = data;
  assertBudgetAmount('worstCaseMicros', worstCaseMicros);
  const held = state.holds[reservationId];
  // A redelivered call finds its hold still there and keeps it, unless the hold would lapse before the call ends: then it is taken anew.
  if (held !== undefined && !hasExpired(state, reservationId, keepUntil)) return [];
  // A hold being renewed makes room for its own replacement.
  const renewedMicros = held !== undefined && !hasExpired(state, reservationId, now) ? held : 0;
  const remainingMicros = remainingMicrosOf(state, limitMicros, now, heldMicrosOf(state, now) - renewedMicros);
  const requiredMicros = minimumLeftMicros > 0 ? worstCaseMicros + minimumLeftMicros : enforcement === 'hard' ? worstCaseMicros : 0;
  if (requiredMicros > remainingMicros) {
    throw BudgetExhaustedError.of(window, { limitMicros, remainingMicros, requestedMicros: requiredMicros });
  }
  return [
    {
      type: 'BudgetReserved',
      data: {
        reservationId,
        ...(callId === undefined ? {} : { callId }),
        worstCaseMicros,
        limitMicros,
        enforcement,
        reservedAt: now.toISOString(),
        ...(expiresAt === undefined ? {} : { expiresAt: expiresAt.toISOString() }),
      },
    },
  ];
}

function settle(data: SettleBudget['data'], state: BudgetWindowState): BudgetWindowEvent[] {
  const { reservationId, callId, actualMicros, limitMicros, window, now } = data;
  assertBudgetAmount('actualMicros', actualMicros);
  // Settled already (its hold is gone): a repeated settle must not count the cost twice.
  if (state.holds[reservationId] === undefined) return [];
  const spentMicros = state.spentMicros + actualMicros;
  const crossed = thresholdPercents.filter(
    (percent) => !state.crossed.includes(percent) && spentMicros > 0 && spentMicros * 100 >= percent * limitMicros,
  );
  return [
    { type: 'BudgetSettled', data: { reservationId, ...(callId === undefined ? {} : { callId }), actualMicros, settledAt: now.toISOString() } },
    ...crossed.map((percent) => ({ type: 'BudgetThresholdCrossed' as const, data: thresholdData(percent, spentMicros, limitMicros, window, now) })),
  ];
}

function thresholdData(percent: ThresholdPercent, spentMicros: number, limitMicros: number, window: BudgetWindow, now: Date): BudgetThresholdCrossedData {
  const { scope, keyId, period, label } = window;
  return { percent, spentMicros, limitMicros, scope, keyId, period, window: label, crossedAt: now.toISOString() };
}

export const budgetWindowDecider = { decide, evolve, initialState };

function unknownCommand(command: never): never {
  throw new Error(`unknown budget window command ${JSON.stringify(command)}`);
}
