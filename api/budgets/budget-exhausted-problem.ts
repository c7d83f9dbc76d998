import { z } from 'zod';
import { budgetPeriodSchema, budgetScopeSchema } from '../../domain/budget/budget-definition.js';
import type { BudgetExhaustedError } from '../../domain/budget/budget-errors.js';
import { problem, problemSchema } from '../errors/problem.js';

/**
 * The problem+json of a hard budget that cannot take a call: 402, or 429 on the
 * OpenAI-compatible routes. A route that lists its status in its responses must use
 * this schema: the plain problem schema would strip the members.
 */
export const budgetExhaustedProblemSchema = problemSchema.extend({
  remainingMicros: z.number(),
  limitMicros: z.number(),
  requestedMicros: z.number().optional(),
  resetsAt: z.string(),
  scope: budgetScopeSchema,
  keyId: z.string().optional(),
  period: budgetPeriodSchema,
  window: z.string(),
});

export type BudgetExhaustedProblem = z.infer<typeof budgetExhaustedProblemSchema>;

export function budgetExhaustedProblem(error: BudgetExhaustedError, instance?: string, status: 402 | 429 = 402): BudgetExhaustedProblem {
  const base = problem(status, error.code, error.message, [], instance);
  const { remainingMicros, limitMicros, requestedMicros, resetsAt, scope, keyId, period, window } = error;
  return {
    ...base,
    // OpenAI's own word for spent credit, so OpenAI clients recognise the refusal.
    error: { ...base.error, type: 'insufficient_quota' },
    remainingMicros,
    limitMicros,
    requestedMicros,
    resetsAt,
    scope,
    keyId,
    period,
    window,
  };
}

/** Retry-After: whole seconds until the window resets, when the budget is whole again. */
export function budgetExhaustedHeaders(error: BudgetExhaustedError, now = Date.now()): Record<string, string> {
  return { 'retry-after': String(Math.max(1, Math.ceil((Date.parse(error.resetsAt) - now) / 1_000))) };
}

/**
 * OpenAI answers spent quota with 429 `insufficient_quota`, which its SDKs raise as a
 * RateLimitError (what LangChain's fallbacks act on); `x-should-retry: false` keeps them
 * from retrying a refusal that lasts until the window resets.
 */
export const OPENAI_BUDGET_REFUSAL = { status: 429, headers: { 'x-should-retry': 'false' } } as const;

/** A 429 on the OpenAI-compatible routes is either a rate limit or a budget: its schema keeps the budget's members. */
export const openAiTooManyRequests = budgetExhaustedProblemSchema.or(problemSchema);
