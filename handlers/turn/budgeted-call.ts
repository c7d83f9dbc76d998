import { BudgetExhaustedError, settleInBackground, type BudgetGuard, type BudgetReservation } from '../../gateway/budgets/index.js';
import type { ModelRequest } from '../../gateway/model-spec.js';
import type { Logger } from 'pino';
import type { PlannedModelCall } from './call-model-handler.js';

export interface TurnBudgets {
  guard: BudgetGuard;
  /** The most a request can cost on any deployment its alias may route to, in micros. */
  worstCaseMicros(alias: string, request: ModelRequest): number;
}

export type BudgetHold = { reservation: BudgetReservation } | { refused: BudgetExhaustedError } | undefined;

/**
 * Holds the call's worst case against the tenant's and the key's budgets before it
 * goes out. The hold is keyed by the call id, so a redelivered call reuses it.
 */
export async function holdBudget(budgets: TurnBudgets | undefined, call: PlannedModelCall, request: ModelRequest): Promise<BudgetHold> {
  if (!budgets) return undefined;
  try {
    const reservation = await budgets.guard.reserve({
      tenantId: call.tenantId,
      keyId: call.keyId,
      callId: call.callId,
      worstCaseMicros: budgets.worstCaseMicros(call.alias, request),
      now: new Date(),
      metadata: { correlationId: call.turnId, causationId: call.callId },
    });
    return { reservation };
  } catch (error) {
    if (BudgetExhaustedError.isInstance(error)) return { refused: error };
    throw error;
  }
}

/** Frees what the call did not spend. */
export function settleBudget(budgets: TurnBudgets | undefined, hold: BudgetHold, actualMicros: number, logger: Logger): void {
  if (!budgets || !hold || !('reservation' in hold)) return;
  settleInBackground(budgets.guard, hold.reservation, actualMicros, logger);
}
