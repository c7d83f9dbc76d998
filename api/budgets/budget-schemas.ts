import { z } from 'zod';
import {
  budgetEnforcementSchema,
  budgetKeyIdSchema,
  budgetMicrosSchema,
  budgetPeriodSchema,
  budgetScopeSchema,
} from '../../domain/budget/budget-definition.js';
import { keyIdMatchesScope, keyIdScopeMessage } from '../../domain/budget/budget-events.js';

export const setBudgetBody = z
  .object({
    scope: budgetScopeSchema.describe('`tenant` limits every call of the tenant; `key` the calls made with one API key'),
    keyId: budgetKeyIdSchema.optional().describe('The API key id (the part after `tsk_` up to the next `_`); only with scope `key`'),
    period: budgetPeriodSchema,
    limitMicros: budgetMicrosSchema.describe('The limit in millionths of the currency of the configured prices'),
    enforcement: budgetEnforcementSchema,
  })
  .strict()
  .refine(keyIdMatchesScope, { path: ['keyId'], message: keyIdScopeMessage });

export const budgetView = z.object({
  scope: budgetScopeSchema,
  keyId: z.string().optional(),
  period: budgetPeriodSchema,
  limitMicros: z.number(),
  enforcement: budgetEnforcementSchema,
  setAt: z.string(),
  window: z.string().describe('The current window: `yyyy-mm-dd` (daily) or `yyyy-mm` (monthly), UTC'),
  resetsAt: z.string(),
  spentMicros: z.number().describe('Settled cost in the current window'),
  reservedMicros: z.number().describe('Worst cases held by calls still running, and holds the API processes took ahead for their next calls (TESSERA_BUDGET_HOLDS_AHEAD)'),
  remainingMicros: z.number().describe('What new calls may still hold: limit less spent and reserved, never below zero'),
});

export const budgetList = z.object({ budgets: z.array(budgetView) });
