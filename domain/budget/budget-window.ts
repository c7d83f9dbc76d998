import { streamId, type StreamId } from '../shared/stream-id.js';
import { scopePartOf, type BudgetPeriod, type BudgetTarget } from './budget-definition.js';

/** One period of one budget: the calendar day or month (UTC) that a reservation counts against. */
export interface BudgetWindow extends BudgetTarget {
  /** `yyyy-mm-dd` for daily budgets, `yyyy-mm` for monthly ones. */
  label: string;
  startsAt: Date;
  resetsAt: Date;
}

/** The window of `period` that contains `now`. */
export function windowOf(target: BudgetTarget, now: Date): BudgetWindow {
  const { label, startsAt, resetsAt } = calendarWindow(target.period, now);
  return { ...target, label, startsAt, resetsAt };
}

function calendarWindow(period: BudgetPeriod, now: Date): { label: string; startsAt: Date; resetsAt: Date } {
  const year = now.getUTCFullYear();
  const month = now.getUTCMonth();
  if (period === 'monthly') {
    return { label: now.toISOString().slice(0, 7), startsAt: new Date(Date.UTC(year, month, 1)), resetsAt: new Date(Date.UTC(year, month + 1, 1)) };
  }
  const day = now.getUTCDate();
  return {
    label: now.toISOString().slice(0, 10),
    startsAt: new Date(Date.UTC(year, month, day)),
    resetsAt: new Date(Date.UTC(year, month, day + 1)),
  };
}

/**
 * `budget-<tenantId>.<tenant | key.<keyId>>.<label>`: one stream per budget and window,
 * so a new day or month starts from an empty stream and no stream grows without end.
 * Key ids hold no dot and the label ends the name, so distinct budgets never share one.
 */
export function budgetStreamId(tenantId: string, window: Pick<BudgetWindow, 'scope' | 'keyId' | 'label'>): StreamId {
  return streamId('budget', `${tenantId}.${scopePartOf(window)}.${window.label}`);
}
