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
  crossed: readonly ThresholdPercent[];
}

export function initialState(): BudgetWindowState {
  return { status: 'open', spentMicros: 0, reservedMicros: 0, holds: {}, crossed: [] };
}

export function evolve(state: BudgetWindowState, event: BudgetWindowEvent): BudgetWindowState {
  switch (event.type) {
    case 'BudgetReserved': {
      const { reservationId, worstCaseMicros } = event.data;
      return { ...state, reservedMicros: state.reservedMicros + worstCaseMicros, holds: { ...state.holds, [reservationId]: worstCaseMicros } };
    }
    case 'BudgetSettled': {
      const held = state.holds[event.data.reservationId];
      if (held === undefined) return state;
      const { [event.data.reservationId]: _released, ...holds } = state.holds;
      return { ...state, spentMicros: state.spentMicros + event.data.actualMicros, reservedMicros: state.reservedMicros - held, holds };
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

/** What new calls may still hold: the limit less settled spend and open holds, never below zero. */
export function remainingMicrosOf(state: BudgetWindowState, limitMicros: number): number {
  return Math.max(0, limitMicros - state.spentMicros - state.reservedMicros);
}

function reserve(data: ReserveBudget['data'], state: BudgetWindowState): BudgetWindowEvent[] {
  const { reservationId, callId, worstCaseMicros, minimumLeftMicros = 0, limitMicros, enforcement, window, now } = data;
  assertBudgetAmount('worstCaseMicros', worstCaseMicros);
  // A redelivered call finds its hold still there and keeps it.
  if (state.holds[reservationId] !== undefined) return [];
  const remainingMicros = remainingMicrosOf(state, limitMicros);
  const requiredMicros = minimumLeftMicros > 0 ? worstCaseMicros + minimumLeftMicros : enforcement === 'hard' ? worstCaseMicros : 0;
  if (requiredMicros > remainingMicros) {
    throw BudgetExhaustedError.of(window, { limitMicros, remainingMicros, requestedMicros: requiredMicros });
  }
  return [
    {
      type: 'BudgetReserved',
      data: { reservationId, ...(callId === undefined ? {} : { callId }), worstCaseMicros, limitMicros, enforcement, reservedAt: now.toISOString() },
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
