import { describe, expect, it } from 'vitest';
import { budgetStreamId, windowOf } from './budget-window.js';

describe('budget windows (UTC calendar)', () => {
  it('runs a daily window from midnight to midnight UTC', () => {
    const window = windowOf({ scope: 'tenant', period: 'daily' }, new Date('2026-12-31T23:59:59.999Z'));
    expect(window).toMatchObject({ label: '2026-12-31', startsAt: new Date('2026-12-31T00:00:00Z'), resetsAt: new Date('2027-01-01T00:00:00Z') });
  });

  it('runs a monthly window from the first of the month to the first of the next, across years and leap days', () => {
    expect(windowOf({ scope: 'tenant', period: 'monthly' }, new Date('2028-02-29T12:00:00Z'))).toMatchObject({
      label: '2028-02',
      startsAt: new Date('2028-02-01T00:00:00Z'),
      resetsAt: new Date('2028-03-01T00:00:00Z'),
    });
    expect(windowOf({ scope: 'tenant', period: 'monthly' }, new Date('2026-12-05T00:00:00Z')).resetsAt).toEqual(new Date('2027-01-01T00:00:00Z'));
  });

  it('starts a new window at the reset instant', () => {
    const before = windowOf({ scope: 'tenant', period: 'daily' }, new Date('2026-03-14T23:59:59.999Z'));
    const after = windowOf({ scope: 'tenant', period: 'daily' }, before.resetsAt);
    expect(after.label).toBe('2026-03-15');
  });

  it('names one stream per tenant, scope, key and window', () => {
    expect(budgetStreamId('acme', { scope: 'tenant', label: '2026-03-14' })).toBe('budget-acme.tenant.2026-03-14');
    expect(budgetStreamId('acme', { scope: 'key', keyId: 'k1', label: '2026-03' })).toBe('budget-acme.key.k1.2026-03');
  });
});
