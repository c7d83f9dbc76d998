import { appliesToKey } from '../../domain/budget/budget-definition.js';
import { assertBudgetAmount, BudgetExhaustedError } from '../../domain/budget/budget-errors.js';
import type { BudgetSetData } from '../../domain/budget/budget-events.js';
import { heldMicrosOf, remainingMicrosOf } from '../../domain/budget/budget-window-decider.js';
import { budgetStreamId, windowOf } from '../../domain/budget/budget-window.js';
import { deterministicId } from '../../domain/shared/ids.js';
import type { Logger } from 'pino';
import type { EventStore } from '../../infra/event-store/port.js';
import { createBudgetDefinitionsCache } from './budget-definitions-cache.js';
import type { BudgetHold, BudgetReservation, BudgetStanding } from './budget-reservation.js';
import { createBudgetWindowAccounts, type BudgetEventMetadata } from './budget-window-accounts.js';
import { createHoldsAhead, type HoldLifetime } from './holds-ahead.js';

export interface ReserveBudgetInput {
  tenantId: string;
  /** The API key the call is made for; its own budgets apply besides the tenant's. */
  keyId?: string;
  /** Stable across redeliveries of the same call. */
  callId: string;
  /** The most the call can cost, in micros. */
  worstCaseMicros: number;
  now: Date;
  /** Ties the budget events to the call's turn; correlation and causation default to the call id. */
  metadata?: Partial<BudgetEventMetadata>;
}

/**
 * Per-tenant and per-key budgets around model calls: `reserve` before the call holds its
 * worst case (or throws BudgetExhaustedError), `settle` after it records the real cost.
 */
export interface BudgetGuard {
  /** Holds the worst case against every budget that applies; all or none (a refusal releases the others). */
  reserve(input: ReserveBudgetInput): Promise<BudgetReservation>;
  /** Records the real cost (zero or partial for a failed call) and frees the rest of the hold; repeating it changes nothing. */
  settle(reservation: BudgetReservation, actualMicros: number, now?: Date): Promise<void>;
  /** The budgets that limit calls by `keyId` (the tenant's and the key's), with what is left of each. */
  remaining(tenantId: string, keyId?: string, now?: Date): Promise<BudgetStanding[]>;
  /** Every budget of the tenant, its keys' included, with what is left of each. */
  standings(tenantId: string, now?: Date): Promise<BudgetStanding[]>;
  /** Throws BudgetExhaustedError when a hard budget that applies has nothing left (as known within `standingMaxAgeMs`): the cheap check before accepting work. */
  ensureAvailable(tenantId: string, keyId?: string, now?: Date): Promise<void>;
  /** Reads the tenant's budgets again on next use (this process just set one). */
  forget(tenantId: string): void;
  /** Writes the settlements still waiting to join another append. */
  close(): Promise<void>;
}

export interface BudgetGuardOptions {
  store: EventStore;
  /** How long budgets read from the tenant stream are trusted; a budget set elsewhere applies within this. Default 2 s. */
  definitionsMaxAgeMs?: number;
  /**
   * How stale a window's standing may be for `ensureAvailable`, the early refusal before
   * any work: what this process itself held and settled is always counted, another
   * process's spending within this. The hold before each call is exact. Default 1 s.
   */
  standingMaxAgeMs?: number;
  /** Monotonic milliseconds for these caches; injected by tests. */
  clock?: () => number;
  /**
   * How long a settlement may wait to leave in the same append as the window's next
   * hold, so a steady stream of calls appends once per call rather than twice. A hold
   * waits for nothing. Default 0: each settlement is appended at once.
   */
  settleLingerMs?: number;
  /**
   * Holds kept ready per tenant and key, taken in one append ahead of the calls they will
   * serve, so a call far from its limits waits for no append (see holds-ahead.ts). Default
   * 0: each call appends its own hold.
   */
  holdsAhead?: number;
  /**
   * Holds not settled within `holdMs` stop counting, so those of a process that died
   * free their room; `callMs` is the longest a call runs (a hold ahead with less of its
   * lifetime left is not handed out). Unset: holds count until they settle or the window ends.
   */
  holdLifetime?: HoldLifetime;
}

export function createBudgetGuard(options: BudgetGuardOptions): BudgetGuard {
  const clock = options.clock ?? (() => performance.now());
  const definitions = createBudgetDefinitionsCache(options.store, { maxAgeMs: options.definitionsMaxAgeMs ?? 2_000, clock });
  const accounts = createBudgetWindowAccounts(options.store, { clock, lingerMs: options.settleLingerMs });
  const standingMaxAgeMs = options.standingMaxAgeMs ?? 1_000;
  const { holdLifetime } = options;
  const holdsAhead = options.holdsAhead ? createHoldsAhead({ accounts, count: options.holdsAhead, clock, lifetime: holdLifetime }) : undefined;

  const holdOf = (tenantId: string, budget: BudgetSetData, now: Date): BudgetHold => {
    const window = windowOf(budget, now);
    return { streamId: budgetStreamId(tenantId, window), window, limitMicros: budget.limitMicros, enforcement: budget.enforcement };
  };

  const standingOf = async (tenantId: string, budget: BudgetSetData, now: Date, maxAgeMs?: number): Promise<BudgetStanding> => {
    const { streamId, window } = holdOf(tenantId, budget, now);
    const state = maxAgeMs === undefined ? await accounts.current(streamId) : await accounts.recent(streamId, maxAgeMs);
    const held = heldMicrosOf(state, now);
    return {
      ...budget,
      window: window.label,
      resetsAt: window.resetsAt.toISOString(),
      spentMicros: state.spentMicros,
      reservedMicros: held,
      remainingMicros: remainingMicrosOf(state, budget.limitMicros, now, held),
    };
  };

  const settleHolds = async (reservation: BudgetReservation, holds: readonly BudgetHold[], actualMicros: number, now: Date, lingering: boolean) => {
    await Promise.all(
      holds.map((hold) =>
        accounts.execute(
          hold.streamId,
          {
            type: 'SettleBudget',
            data: {
              reservationId: reservation.reservationId,
              ...(reservation.heldAhead ? { callId: reservation.callId } : {}),
              actualMicros,
              limitMicros: hold.limitMicros,
              window: hold.window,
              now,
            },
          },
          reservation.metadata,
          { lingering },
        ),
      ),
    );
  };

  const budgetsForKey = async (tenantId: string, keyId: string | undefined) =>
    (await definitions.budgetsOf(tenantId)).filter((budget) => appliesToKey(budget, keyId));

  const standingsForKey = async (tenantId: string, keyId: string | undefined, now: Date, maxAgeMs?: number): Promise<BudgetStanding[]> =>
    Promise.all((await budgetsForKey(tenantId, keyId)).map((budget) => standingOf(tenantId, budget, now, maxAgeMs)));

  const guard: BudgetGuard = {
    async reserve({ tenantId, keyId, callId, worstCaseMicros, now, metadata }) {
      // Checked here too, so a wrong estimate fails the same way whether or not a budget applies.
      assertBudgetAmount('worstCaseMicros', worstCaseMicros);
      const budgets = await budgetsForKey(tenantId, keyId);
      const holds = budgets.map((budget) => holdOf(tenantId, budget, now));
      const eventMetadata = { tenantId, correlationId: callId, causationId: callId, ...metadata };
      const ahead = holds.length > 0 ? holdsAhead?.take({ tenantId, keyId }, holds, worstCaseMicros, now) : undefined;
      if (ahead) {
        const { reservationId, worstCaseMicros: heldMicros, holds: heldOn } = ahead;
        return { reservationId, heldAhead: true, callId, tenantId, keyId, worstCaseMicros: heldMicros, holds: heldOn, metadata: eventMetadata };
      }
      const reservation: BudgetReservation = {
        reservationId: deterministicId(callId, 'budget-reservation'),
        callId,
        tenantId,
        keyId,
        worstCaseMicros,
        holds,
        metadata: eventMetadata,
      };
      if (reservation.holds.length === 0) return reservation;
      const outcomesSettled = Promise.allSettled(
        reservation.holds.map((hold) =>
          accounts.execute(
            hold.streamId,
            {
              type: 'ReserveBudget',
              data: {
                reservationId: reservation.reservationId,
                callId,
                worstCaseMicros,
                limitMicros: hold.limitMicros,
                enforcement: hold.enforcement,
                window: hold.window,
                now,
                ...(holdLifetime && {
                  expiresAt: new Date(now.getTime() + holdLifetime.holdMs),
                  keepUntil: new Date(now.getTime() + holdLifetime.callMs),
                }),
              },
            },
            reservation.metadata,
          ),
        ),
      );
      // Queued behind the call's own hold, so that one leaves first.
      void holdsAhead?.topUp({ tenantId, keyId }, holds, worstCaseMicros, now);
      const outcomes = await outcomesSettled;
      const refusals = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as unknown] : []));
      if (refusals.length === 0) return reservation;
      const taken = reservation.holds.filter((_hold, index) => outcomes[index]!.status === 'fulfilled');
      // A release that fails leaves its hold until it expires or the window ends: over-cautious, never overspent.
      // Released at once: the refusal's answer waits for it.
      await settleHolds(reservation, taken, 0, now, false).catch(() => undefined);
      throw mostBinding(refusals);
    },

    async settle(reservation, actualMicros, now = new Date()) {
      assertBudgetAmount('actualMicros', actualMicros);
      await settleHolds(reservation, reservation.holds, actualMicros, now, true);
    },

    remaining: (tenantId, keyId, now = new Date()) => standingsForKey(tenantId, keyId, now),

    async standings(tenantId, now = new Date()) {
      const budgets = await definitions.budgetsOf(tenantId);
      return Promise.all(budgets.map((budget) => standingOf(tenantId, budget, now)));
    },

    async ensureAvailable(tenantId, keyId, now = new Date()) {
      const standings = await standingsForKey(tenantId, keyId, now, standingMaxAgeMs);
      const exhausted = standings.filter(
        (standing) => standing.enforcement === 'hard' && standing.remainingMicros === 0,
      );
      if (exhausted.length === 0) return;
      throw mostBinding(
        exhausted.map(({ scope, keyId: budgetKeyId, period, window, limitMicros, remainingMicros, resetsAt }) =>
          new BudgetExhaustedError({ scope, keyId: budgetKeyId, period, window, limitMicros, remainingMicros, resetsAt }),
        ),
      );
    },

    forget(tenantId) {
      definitions.forget(tenantId);
      holdsAhead?.releaseTenant(tenantId);
    },
    async close() {
      await holdsAhead?.releaseAll();
      await accounts.flush();
    },
  };
  return guard;
}

/** Of several refusals, the one that lasts longest: waiting for an earlier reset would not help. */
function mostBinding(errors: readonly unknown[]): Error {
  const exhausted = errors.filter((error) => BudgetExhaustedError.isInstance(error));
  // Anything else (the store is down) says more about the call than a budget does.
  const other = errors.find((error) => !BudgetExhaustedError.isInstance(error));
  if (other !== undefined) return other instanceof Error ? other : new Error('budget reservation failed', { cause: other });
  return exhausted.reduce((latest, error) => (error.resetsAt > latest.resetsAt ? error : latest));
}

/** Settles without holding up the call that spent: a late settle only keeps a hold a little longer, and a failed one is logged. */
export function settleInBackground(guard: Pick<BudgetGuard, 'settle'>, reservation: BudgetReservation, actualMicros: number, logger: Pick<Logger, 'warn'>): void {
  void guard.settle(reservation, actualMicros).catch((error: unknown) => {
    logger.warn({ err: error, callId: reservation.callId }, 'could not settle a budget hold; it counts at its worst case until it expires or its window ends');
  });
}
