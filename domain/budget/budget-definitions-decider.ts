import { TenantNotFoundError } from '../tenant/tenant-errors.js';
import type { TenantEvent } from '../tenant/tenant-events.js';
import { budgetKeyOf, type BudgetDefinition } from './budget-definition.js';
import { BudgetKeyNotUsableError, InvalidBudgetTargetError } from './budget-errors.js';
import { keyIdMatchesScope, type BudgetSetData } from './budget-events.js';
import { budgetStreamId } from './budget-window.js';

export type SetBudget = { type: 'SetBudget'; data: BudgetDefinition & { now: Date } };

export type BudgetDefinitionsCommand = SetBudget;

/** The tenant stream holds both the tenant's keys and its budgets; this decider reads both. */
export type BudgetDefinitionsEvent = TenantEvent | { type: 'BudgetSet'; data: BudgetSetData };

export type BudgetDefinitionsState =
  | { status: 'none' }
  | {
      status: 'active';
      tenantId: string;
      /** Key id → whether the key may still be used. */
      usableKeys: Readonly<Record<string, boolean>>;
      /** By `budgetKeyOf`. */
      budgets: Readonly<Record<string, BudgetSetData>>;
    };

export function initialState(): BudgetDefinitionsState {
  return { status: 'none' };
}

export function evolve(state: BudgetDefinitionsState, event: BudgetDefinitionsEvent): BudgetDefinitionsState {
  if (state.status === 'none') {
    return event.type === 'TenantCreated' ? { status: 'active', tenantId: event.data.tenantId, usableKeys: {}, budgets: {} } : state;
  }
  switch (event.type) {
    case 'ApiKeyIssued':
      return { ...state, usableKeys: { ...state.usableKeys, [event.data.keyId]: true } };
    case 'ApiKeyRevoked':
      return { ...state, usableKeys: { ...state.usableKeys, [event.data.keyId]: false } };
    case 'BudgetSet':
      return { ...state, budgets: { ...state.budgets, [budgetKeyOf(event.data)]: event.data } };
    default:
      return state;
  }
}

export function decide(command: BudgetDefinitionsCommand, state: BudgetDefinitionsState): BudgetDefinitionsEvent[] {
  switch (command.type) {
    case 'SetBudget':
      return setBudget(command.data, state);
    default:
      return unknownCommand(command.type);
  }
}

function setBudget({ now, ...definition }: SetBudget['data'], state: BudgetDefinitionsState): BudgetDefinitionsEvent[] {
  if (state.status === 'none') throw new TenantNotFoundError();
  if (!keyIdMatchesScope(definition)) throw new InvalidBudgetTargetError();
  if (definition.keyId !== undefined && state.usableKeys[definition.keyId] !== true) {
    throw new BudgetKeyNotUsableError(definition.keyId);
  }
  // Fails now, with the stream name in the message, rather than on the first call it should limit.
  budgetStreamId(state.tenantId, { ...definition, label: 'yyyy-mm-dd' });
  const current = state.budgets[budgetKeyOf(definition)];
  if (current?.limitMicros === definition.limitMicros && current.enforcement === definition.enforcement) return [];
  return [{ type: 'BudgetSet', data: { ...definition, setAt: now.toISOString() } }];
}

/** The budgets in force: the tenant's first, then each key's. */
export function budgetsOf(state: BudgetDefinitionsState): BudgetSetData[] {
  if (state.status === 'none') return [];
  const order = (budget: BudgetSetData) => `${budget.scope === 'tenant' ? 0 : 1}.${budgetKeyOf(budget)}`;
  return Object.values(state.budgets).sort((left, right) => order(left).localeCompare(order(right)));
}

export const budgetDefinitionsDecider = { decide, evolve, initialState };

function unknownCommand(type: never): never {
  throw new Error(`unknown budget definitions command ${String(type)}`);
}
