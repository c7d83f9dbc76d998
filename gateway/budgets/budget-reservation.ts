import type { BudgetEnforcement } from '../../domain/budget/budget-definition.js';
import type { BudgetSetData } from '../../domain/budget/budget-events.js';
import type { BudgetWindow } from '../../domain/budget/budget-window.js';
import type { StreamId } from '../../domain/shared/stream-id.js';
import type { BudgetEventMetadata } from './budget-window-accounts.js';

/** A call's worst case held against one budget window. */
export interface BudgetHold {
  streamId: StreamId;
  window: BudgetWindow;
  /** The limit in force when the hold was taken; thresholds at settle are measured against it. */
  limitMicros: number;
  enforcement: BudgetEnforcement;
}

/** What `reserve` hands back and `settle` takes: plain data, so it may travel with the call. */
export interface BudgetReservation {
  /**
   * Derived from the call id, so a redelivered call finds its hold instead of taking a
   * second one; or, with `heldAhead`, the id of a hold taken before the call came.
   */
  reservationId: string;
  /** The hold was taken ahead of the call (holds-ahead.ts); its settlement names the call. */
  heldAhead?: boolean;
  callId: string;
  tenantId: string;
  keyId?: string;
  worstCaseMicros: number;
  /** One per budget that applies to the call; empty when none does (then settling costs nothing). */
  holds: readonly BudgetHold[];
  metadata: BudgetEventMetadata;
}

/** A budget and where it stands in the window containing `now`. */
export interface BudgetStanding extends BudgetSetData {
  /** `yyyy-mm-dd` or `yyyy-mm`. */
  window: string;
  resetsAt: string;
  spentMicros: number;
  reservedMicros: number;
  /** What new calls may still hold (the limit less spent and reserved, never below zero). */
  remainingMicros: number;
}
