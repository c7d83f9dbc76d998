import { z } from 'zod';
import { defineEventType, type EventData } from '../events/event-type.js';
import {
  budgetEnforcementSchema,
  budgetKeyIdSchema,
  budgetMicrosSchema,
  budgetPeriodSchema,
  budgetScopeSchema,
} from './budget-definition.js';

const id = z.string().min(1).max(200);
const spentMicros = z.number().int().min(0);

export const thresholdPercents = [50, 80, 100] as const;
export type ThresholdPercent = (typeof thresholdPercents)[number];

/** A key id exactly when the budget is a key's: checked on the event and on every input that becomes one. */
export function keyIdMatchesScope(target: { scope: string; keyId?: string | undefined }): boolean {
  return target.scope === 'key' ? target.keyId !== undefined : target.keyId === undefined;
}
export const keyIdScopeMessage = 'is required when scope is "key" and not allowed when scope is "tenant"';

/** Recorded on the tenant stream (`tenant-<id>`): it replaces any budget of the same scope, key and period. */
export const BudgetSet = defineEventType({
  type: 'BudgetSet',
  version: 1,
  schema: z
    .object({
      scope: budgetScopeSchema,
      keyId: budgetKeyIdSchema.optional(),
      period: budgetPeriodSchema,
      limitMicros: budgetMicrosSchema,
      enforcement: budgetEnforcementSchema,
      setAt: z.iso.datetime(),
    })
    .refine(keyIdMatchesScope, { path: ['keyId'], message: keyIdScopeMessage }),
});

/**
 * A call holds its worst-case cost against one budget window until it settles. A hold
 * taken ahead, for whichever of the process's next calls fits in it, names no call: its
 * settlement does.
 */
export const BudgetReserved = defineEventType({
  type: 'BudgetReserved',
  version: 1,
  schema: z.object({
    reservationId: id,
    callId: id.optional(),
    worstCaseMicros: budgetMicrosSchema,
    /** The limit and enforcement in force when the reservation was accepted. */
    limitMicros: budgetMicrosSchema,
    enforcement: budgetEnforcementSchema,
    reservedAt: z.iso.datetime(),
    /**
     * Still open then, the hold no longer counts against the window: the process that took
     * it is gone, since a live call ends well before. A settlement that comes later still
     * counts what was spent. Holds recorded without it count until they settle.
     */
    expiresAt: z.iso.datetime().optional(),
  }),
});

/**
 * The real cost replaces the hold: zero for a call that never reached a model, or for a
 * hold taken ahead that no call used. `callId` names the call a hold taken ahead served.
 */
export const BudgetSettled = defineEventType({
  type: 'BudgetSettled',
  version: 1,
  schema: z.object({ reservationId: id, callId: id.optional(), actualMicros: budgetMicrosSchema, settledAt: z.iso.datetime() }),
});

/** Settled spend reached a share of the limit; recorded at most once per percent and window. */
export const BudgetThresholdCrossed = defineEventType({
  type: 'BudgetThresholdCrossed',
  version: 1,
  schema: z.object({
    percent: z.union(thresholdPercents.map((percent) => z.literal(percent))),
    spentMicros,
    limitMicros: budgetMicrosSchema,
    // Repeated from the stream name so alerting reads the budget without parsing it.
    scope: budgetScopeSchema,
    keyId: budgetKeyIdSchema.optional(),
    period: budgetPeriodSchema,
    window: z.string().regex(/^\d{4}-\d{2}(-\d{2})?$/, 'must be yyyy-mm or yyyy-mm-dd'),
    crossedAt: z.iso.datetime(),
  }),
});

export type BudgetSetData = EventData<typeof BudgetSet>;
export type BudgetReservedData = EventData<typeof BudgetReserved>;
export type BudgetSettledData = EventData<typeof BudgetSettled>;
export type BudgetThresholdCrossedData = EventData<typeof BudgetThresholdCrossed>;

export type BudgetWindowEvent =
  | { type: 'BudgetReserved'; data: BudgetReservedData }
  | { type: 'BudgetSettled'; data: BudgetSettledData }
  | { type: 'BudgetThresholdCrossed'; data: BudgetThresholdCrossedData };

/** BudgetSet lives on the tenant stream; the others on `budget-…` window streams. */
export const budgetEventTypes = [BudgetSet, BudgetReserved, BudgetSettled, BudgetThresholdCrossed] as const;
