export { createBudgetGuard, settleInBackground, type BudgetGuard, type BudgetGuardOptions, type ReserveBudgetInput } from './budget-guard.js';
export type { BudgetHold, BudgetReservation, BudgetStanding } from './budget-reservation.js';
export { BudgetExhaustedError } from '../../domain/budget/budget-errors.js';
