import { readBudgets, setBudget } from '../../commands/budgets.js';
import { budgetEnforcementSchema, budgetMicrosSchema, budgetPeriodSchema } from '../../domain/budget/budget-definition.js';
import type { EventStore } from '../../infra/event-store/port.js';
import { UsageError } from './usage-error.js';

export interface BudgetCommandOptions {
  tenant?: string;
  key?: string;
  period?: string;
  limit?: string;
  enforcement?: string;
}

const BUDGET_USAGE =
  'usage: tessera budget set --tenant ID [--key KEY_ID] --period daily|monthly --limit MICROS [--enforcement hard|soft]\n' +
  '       tessera budget list --tenant ID';

/** `tessera budget set|list`: budgets without an API key; running guards apply a new one within seconds. */
export async function budgetCommand(store: EventStore, action: string | undefined, options: BudgetCommandOptions): Promise<void> {
  if (!options.tenant) throw new UsageError(BUDGET_USAGE);
  if (action === 'list') {
    for (const budget of await readBudgets(store, options.tenant)) process.stdout.write(`${JSON.stringify(budget)}\n`);
    return;
  }
  if (action !== 'set') throw new UsageError(BUDGET_USAGE);
  const period = budgetPeriodSchema.safeParse(options.period);
  if (!period.success) throw new UsageError('--period must be daily or monthly');
  const limit = budgetMicrosSchema.safeParse(Number(options.limit ?? Number.NaN));
  if (!limit.success) throw new UsageError('--limit must be a whole number of micros (millionths of the currency), 0 or more');
  const enforcement = budgetEnforcementSchema.safeParse(options.enforcement ?? 'hard');
  if (!enforcement.success) throw new UsageError('--enforcement must be hard or soft');
  const { changed } = await setBudget(store, {
    tenantId: options.tenant,
    ...(options.key === undefined ? { scope: 'tenant' } : { scope: 'key', keyId: options.key }),
    period: period.data,
    limitMicros: limit.data,
    enforcement: enforcement.data,
    actor: 'operator:cli',
  });
  const owner = options.key === undefined ? `tenant ${options.tenant}` : `key ${options.key}`;
  process.stdout.write(`${changed ? 'set' : 'unchanged:'} ${period.data} ${enforcement.data} budget of ${limit.data} micros for ${owner}\n`);
}
