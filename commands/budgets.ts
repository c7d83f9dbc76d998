import type { BudgetDefinition } from '../domain/budget/budget-definition.js';
import { budgetDefinitionsDecider, budgetsOf } from '../domain/budget/budget-definitions-decider.js';
import type { BudgetSetData } from '../domain/budget/budget-events.js';
import { newId } from '../domain/shared/ids.js';
import { streamId } from '../domain/shared/stream-id.js';
import type { EventStore } from '../infra/event-store/port.js';
import { handleCommand, loadState } from './handle-command.js';

export interface SetBudgetInput extends BudgetDefinition {
  tenantId: string;
  /** Who set it: `operator:cli`, or the API key id. */
  actor: string;
  correlationId?: string;
}

export interface SetBudgetResult {
  /** False when the same budget was already in force and nothing was recorded. */
  changed: boolean;
  budgets: BudgetSetData[];
}

/** Sets or replaces one budget (`BudgetSet` on `tenant-<id>`); guards pick it up within their refresh interval. */
export async function setBudget(store: EventStore, input: SetBudgetInput, now = new Date()): Promise<SetBudgetResult> {
  const { tenantId, actor, correlationId = newId(), ...definition } = input;
  const { state, events } = await handleCommand(
    store,
    streamId('tenant', tenantId),
    budgetDefinitionsDecider,
    { type: 'SetBudget', data: { ...definition, now } },
    { metadata: { tenantId, userId: actor, correlationId, causationId: correlationId } },
  );
  return { changed: events.length > 0, budgets: budgetsOf(state) };
}

/** The budgets in force for a tenant, read from its stream. */
export async function readBudgets(store: EventStore, tenantId: string): Promise<BudgetSetData[]> {
  const { state } = await loadState(store, streamId('tenant', tenantId), budgetDefinitionsDecider);
  return budgetsOf(state);
}
