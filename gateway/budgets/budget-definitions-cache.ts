import { LRUCache } from 'lru-cache';
import {
  budgetDefinitionsDecider,
  budgetsOf,
  type BudgetDefinitionsEvent,
  type BudgetDefinitionsState,
} from '../../domain/budget/budget-definitions-decider.js';
import type { BudgetSetData } from '../../domain/budget/budget-events.js';
import { streamId } from '../../domain/shared/stream-id.js';
import type { EventStore } from '../../infra/event-store/port.js';

/** The budgets of each tenant as its stream held them at most `maxAgeMs` ago. */
export interface BudgetDefinitionsCache {
  budgetsOf(tenantId: string): Promise<readonly BudgetSetData[]>;
  /** Reads the tenant stream on next use: after this process set a budget itself. */
  forget(tenantId: string): void;
}

export interface BudgetDefinitionsCacheOptions {
  maxAgeMs: number;
  /** Milliseconds on any monotonic scale. */
  clock: () => number;
  maxTenants?: number;
}

interface Entry {
  state: BudgetDefinitionsState;
  revision: number;
  budgets: readonly BudgetSetData[];
  fetchedAt: number;
}

/**
 * Every model call asks for its tenant's budgets, so they come from memory; the tenant
 * stream is read at most once per tenant and `maxAgeMs`, and then only the events after
 * the revision already folded. A budget set elsewhere applies within `maxAgeMs`.
 */
export function createBudgetDefinitionsCache(store: EventStore, options: BudgetDefinitionsCacheOptions): BudgetDefinitionsCache {
  const entries = new LRUCache<string, Entry>({ max: options.maxTenants ?? 10_000 });
  const refreshing = new Map<string, Promise<Entry>>();

  const read = async (tenantId: string, previous: Entry | undefined): Promise<Entry> => {
    const fetchedAt = options.clock();
    const revision = previous?.revision ?? -1;
    const { events } = await store.readStream(streamId('tenant', tenantId), { fromRevision: revision + 1 });
    const state = events.reduce(
      (folded, event) => budgetDefinitionsDecider.evolve(folded, event as unknown as BudgetDefinitionsEvent),
      previous?.state ?? budgetDefinitionsDecider.initialState(),
    );
    return { state, revision: events.at(-1)?.revision ?? revision, budgets: budgetsOf(state), fetchedAt };
  };

  /** One read per tenant at a time; a read that `forget` overtook is answered but not kept. */
  const refresh = (tenantId: string, previous: Entry | undefined): Promise<Entry> => {
    const pending: Promise<Entry> = read(tenantId, previous)
      .then((entry) => {
        if (refreshing.get(tenantId) === pending) entries.set(tenantId, entry);
        return entry;
      })
      .finally(() => {
        if (refreshing.get(tenantId) === pending) refreshing.delete(tenantId);
      });
    refreshing.set(tenantId, pending);
    return pending;
  };

  return {
    async budgetsOf(tenantId) {
      const cached = entries.get(tenantId);
      if (cached && options.clock() - cached.fetchedAt < options.maxAgeMs) return cached.budgets;
      return (await (refreshing.get(tenantId) ?? refresh(tenantId, cached))).budgets;
    },
    forget(tenantId) {
      entries.delete(tenantId);
      refreshing.delete(tenantId);
    },
  };
}
