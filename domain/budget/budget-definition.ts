import { z } from 'zod';

/**
 * Budgets are in integer micros (millionths of the currency), like `costMicros`.
 * The cap keeps `spent × 100` (threshold arithmetic) far inside the safe integers.
 */
export const MAX_BUDGET_MICROS = 10_000_000_000_000;

export const budgetScopeSchema = z.enum(['tenant', 'key']);
export const budgetPeriodSchema = z.enum(['daily', 'monthly']).describe('Calendar window in UTC: a day, or a month');
export const budgetEnforcementSchema = z
  .enum(['hard', 'soft'])
  .describe('`hard` refuses a call whose worst case does not fit; `soft` never refuses, it only records thresholds');

/** Key ids sit inside budget stream names, where a dot separates the parts: no dots. */
export const budgetKeyIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'must be an API key id');
export const budgetMicrosSchema = z.number().int().min(0).max(MAX_BUDGET_MICROS);

export type BudgetScope = z.infer<typeof budgetScopeSchema>;
export type BudgetPeriod = z.infer<typeof budgetPeriodSchema>;
export type BudgetEnforcement = z.infer<typeof budgetEnforcementSchema>;

/** What a budget applies to: the whole tenant, or one of its API keys. */
export interface BudgetTarget {
  scope: BudgetScope;
  /** Present exactly when `scope` is `key`. */
  keyId?: string;
  period: BudgetPeriod;
}

export interface BudgetDefinition extends BudgetTarget {
  limitMicros: number;
  enforcement: BudgetEnforcement;
}

/** A tenant has at most one budget per target: setting it again replaces it. */
export function budgetKeyOf(target: BudgetTarget): string {
  return `${scopePartOf(target)}.${target.period}`;
}

/** `tenant`, or `key.<keyId>`: the part of a budget stream name after the tenant. */
export function scopePartOf(target: Pick<BudgetTarget, 'scope' | 'keyId'>): string {
  return target.scope === 'key' ? `key.${target.keyId ?? ''}` : 'tenant';
}

/** Whether a budget limits calls made with `keyId` (tenant budgets limit every key). */
export function appliesToKey(target: BudgetTarget, keyId: string | undefined): boolean {
  return target.scope === 'tenant' || (keyId !== undefined && target.keyId === keyId);
}
