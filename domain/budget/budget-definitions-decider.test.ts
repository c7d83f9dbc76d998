import { describe, expect, it } from 'vitest';
import { createEventRegistry } from '../events/all-event-types.js';
import { deciderSpecification } from '../shared/decider-specification.js';
import { TenantNotFoundError } from '../tenant/tenant-errors.js';
import type { BudgetDefinition } from './budget-definition.js';
import { budgetDefinitionsDecider, budgetsOf, type BudgetDefinitionsEvent, type SetBudget } from './budget-definitions-decider.js';
import { BudgetKeyNotUsableError, InvalidBudgetTargetError } from './budget-errors.js';
import { InvalidStreamIdError } from '../shared/stream-id.js';

const given = deciderSpecification(budgetDefinitionsDecider);
const now = new Date('2026-03-14T09:30:00.000Z');
const setAt = now.toISOString();

const created = (tenantId = 'acme'): BudgetDefinitionsEvent => ({ type: 'TenantCreated', data: { tenantId, name: 'Acme', createdAt: setAt } });
const keyIssued: BudgetDefinitionsEvent = {
  type: 'ApiKeyIssued',
  data: { keyId: 'key1', tenantId: 'acme', name: 'ci', hash: 'a'.repeat(64), prefix: 'tsk_key1', scopes: ['*'], issuedAt: setAt },
};
const keyRevoked: BudgetDefinitionsEvent = { type: 'ApiKeyRevoked', data: { keyId: 'key1', revokedAt: setAt } };

const tenantDaily: BudgetDefinition = { scope: 'tenant', period: 'daily', limitMicros: 5_000_000, enforcement: 'hard' };
const keyMonthly: BudgetDefinition = { scope: 'key', keyId: 'key1', period: 'monthly', limitMicros: 20_000_000, enforcement: 'soft' };

const set = (definition: BudgetDefinition): SetBudget => ({ type: 'SetBudget', data: { ...definition, now } });
const budgetSet = (definition: BudgetDefinition): BudgetDefinitionsEvent => ({ type: 'BudgetSet', data: { ...definition, setAt } });

describe('budget definitions (on the tenant stream)', () => {
  it('refuses a budget for a tenant that does not exist', () => {
    given([]).when(set(tenantDaily)).thenThrows(TenantNotFoundError);
  });

  describe('when the tenant exists', () => {
    it('sets a tenant budget', () => {
      given([created()]).when(set(tenantDaily)).then([budgetSet(tenantDaily)]);
    });

    it('sets a budget for one of its keys', () => {
      given([created(), keyIssued]).when(set(keyMonthly)).then([budgetSet(keyMonthly)]);
    });

    it('refuses a budget for a key it never issued, or a revoked one, naming keyId', () => {
      given([created()]).when(set(keyMonthly)).thenThrows(BudgetKeyNotUsableError, { field: 'keyId' });
      given([created(), keyIssued, keyRevoked]).when(set(keyMonthly)).thenThrows(BudgetKeyNotUsableError, { keyId: 'key1' });
    });

    it('refuses a key budget without a key, and a tenant budget with one', () => {
      given([created(), keyIssued]).when(set({ ...keyMonthly, keyId: undefined })).thenThrows(InvalidBudgetTargetError, { field: 'keyId' });
      given([created(), keyIssued]).when(set({ ...tenantDaily, keyId: 'key1' })).thenThrows(InvalidBudgetTargetError);
    });

    it('refuses a tenant whose id would make budget stream names too long', () => {
      given([created('t'.repeat(190))]).when(set(tenantDaily)).thenThrows(InvalidStreamIdError);
    });
  });

  describe('when a budget is set', () => {
    const history = [created(), keyIssued, budgetSet(tenantDaily), budgetSet(keyMonthly)];

    it('replaces it with a new limit or enforcement', () => {
      const raised = { ...tenantDaily, limitMicros: 9_000_000 };
      given(history).when(set(raised)).then([budgetSet(raised)]);
      expect(budgetsOf(given([...history, budgetSet(raised)]).state())).toEqual([
        { ...raised, setAt },
        { ...keyMonthly, setAt },
      ]);
    });

    it('keeps daily and monthly budgets of one scope apart', () => {
      const monthly = { ...tenantDaily, period: 'monthly' as const };
      given(history).when(set(monthly)).then([budgetSet(monthly)]);
      expect(budgetsOf(given([...history, budgetSet(monthly)]).state()).map((budget) => `${budget.scope}.${budget.period}`)).toEqual([
        'tenant.daily',
        'tenant.monthly',
        'key.monthly',
      ]);
    });

    it('records nothing when the same budget is set again', () => {
      given(history).when(set(tenantDaily)).thenNothingHappened();
    });
  });

  it('writes data the registry accepts, refusing a key budget without keyId', () => {
    const registry = createEventRegistry();
    const event = budgetSet(keyMonthly);
    expect(registry.encode(event.type, event.data).data).toEqual(event.data);
    expect(() => registry.encode('BudgetSet', { ...event.data, keyId: undefined })).toThrow(expect.objectContaining({ field: 'data.keyId' }) as Error);
    expect(() => registry.encode('BudgetSet', { ...event.data, limitMicros: 1.5 })).toThrow(expect.objectContaining({ field: 'data.limitMicros' }) as Error);
  });
});
