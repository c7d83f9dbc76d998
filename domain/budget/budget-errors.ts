import { DomainError } from '../shared/domain-error.js';
import { budgetMicrosSchema, MAX_BUDGET_MICROS, type BudgetPeriod, type BudgetScope } from './budget-definition.js';
import type { BudgetWindow } from './budget-window.js';

export interface BudgetExhaustion {
  scope: BudgetScope;
  keyId?: string;
  period: BudgetPeriod;
  /** `yyyy-mm-dd` or `yyyy-mm`. */
  window: string;
  limitMicros: number;
  /** What is left for new calls: the limit less settled spend and open reservations, never below zero. */
  remainingMicros: number;
  /** The worst case of the refused call; absent when a request was refused before any call (nothing left). */
  requestedMicros?: number;
  /** ISO time the window ends and the budget is whole again. */
  resetsAt: string;
}

/**
 * A hard budget cannot hold a call's worst case. Carries what a client needs to act:
 * what is left, the limit, and when it resets (the API answers 402 with Retry-After).
 */
export class BudgetExhaustedError extends DomainError implements BudgetExhaustion {
  readonly scope: BudgetScope;
  readonly keyId?: string;
  readonly period: BudgetPeriod;
  readonly window: string;
  readonly limitMicros: number;
  readonly remainingMicros: number;
  readonly requestedMicros?: number;
  readonly resetsAt: string;

  constructor(exhaustion: BudgetExhaustion) {
    const owner = exhaustion.scope === 'key' ? `key ${exhaustion.keyId ?? ''}` : 'tenant';
    const shortfall =
      exhaustion.requestedMicros === undefined
        ? `has nothing left of ${exhaustion.limitMicros} micros`
        : `has ${exhaustion.remainingMicros} of ${exhaustion.limitMicros} micros left, less than this call may cost (${exhaustion.requestedMicros})`;
    super('TESSERA_BUDGET_EXHAUSTED', `the ${exhaustion.period} budget of the ${owner} ${shortfall}; it resets at ${exhaustion.resetsAt}`);
    this.scope = exhaustion.scope;
    this.keyId = exhaustion.keyId;
    this.period = exhaustion.period;
    this.window = exhaustion.window;
    this.limitMicros = exhaustion.limitMicros;
    this.remainingMicros = exhaustion.remainingMicros;
    this.requestedMicros = exhaustion.requestedMicros;
    this.resetsAt = exhaustion.resetsAt;
  }

  /** The refusal as plain data, as a failed call's event records it. */
  exhaustion(): BudgetExhaustion {
    const { scope, keyId, period, window, limitMicros, remainingMicros, requestedMicros, resetsAt } = this;
    return { scope, keyId, period, window, limitMicros, remainingMicros, requestedMicros, resetsAt };
  }

  static override isInstance(error: unknown): error is BudgetExhaustedError {
    return DomainError.isInstance(error) && error.code === 'TESSERA_BUDGET_EXHAUSTED';
  }

  static of(window: BudgetWindow, amounts: Pick<BudgetExhaustion, 'limitMicros' | 'remainingMicros' | 'requestedMicros'>): BudgetExhaustedError {
    return new BudgetExhaustedError({
      scope: window.scope,
      keyId: window.keyId,
      period: window.period,
      window: window.label,
      resetsAt: window.resetsAt.toISOString(),
      ...amounts,
    });
  }
}

/** A budget names a key exactly when its scope is `key`. */
export class InvalidBudgetTargetError extends DomainError {
  constructor() {
    super('TESSERA_INVALID_BUDGET_TARGET', 'keyId is required when scope is "key" and not allowed when scope is "tenant"', 'keyId');
  }
}

export class BudgetKeyNotUsableError extends DomainError {
  constructor(readonly keyId: string) {
    super('TESSERA_BUDGET_KEY_NOT_USABLE', `API key ${keyId} is unknown to this tenant or revoked`, 'keyId');
  }
}

/** Amounts are whole micros within the budget cap; anything else is a caller's bug, refused before it reaches the log. */
export class InvalidBudgetAmountError extends DomainError {
  constructor(field: 'worstCaseMicros' | 'actualMicros', value: number) {
    super('TESSERA_INVALID_BUDGET_AMOUNT', `${field} must be whole micros from 0 to ${MAX_BUDGET_MICROS}, not ${value}`, field);
  }
}

export function assertBudgetAmount(field: 'worstCaseMicros' | 'actualMicros', value: number): void {
  if (!budgetMicrosSchema.safeParse(value).success) throw new InvalidBudgetAmountError(field, value);
}
