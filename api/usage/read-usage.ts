import { sql, type RawBuilder } from 'kysely';
import type { ReadModels } from '../../projections/read-model-database.js';
import { ApiError } from '../errors/api-error.js';
import type { UsageRange } from './usage-range.js';
import type { UsageAmounts, UsageDimension, UsageGroup } from './usage-schemas.js';

/** More groups than this and the request must narrow its range or its grouping. */
export const MAX_USAGE_GROUPS = 10_000;

export interface UsageFilters {
  user?: string;
  feature?: string;
  model?: string;
  deployment?: string;
}

export interface UsageSelection {
  tenantId: string;
  range: UsageRange;
  groupBy: readonly UsageDimension[];
  filters: UsageFilters;
}

const DIMENSION_COLUMNS: Record<UsageDimension, RawBuilder<string>> = {
  user: sql<string>`user_id`,
  feature: sql<string>`feature`,
  model: sql<string>`model`,
  deployment: sql<string>`deployment`,
  day: sql<string>`to_char(day, 'YYYY-MM-DD')`,
};

const AMOUNT_COLUMNS: Record<keyof UsageAmounts, RawBuilder<string>> = {
  calls: sql<string>`sum(calls)`,
  cachedCalls: sql<string>`sum(cached_calls)`,
  inputTokens: sql<string>`sum(input_tokens)`,
  cachedInputTokens: sql<string>`sum(cached_input_tokens)`,
  outputTokens: sql<string>`sum(output_tokens)`,
  costMicros: sql<string>`sum(cost_micros)`,
};

/** The ledger summed by the asked dimensions; the tenant filter is part of the query. */
export async function readUsage(db: ReadModels, selection: UsageSelection): Promise<UsageGroup[]> {
  const { tenantId, range, groupBy, filters } = selection;
  const dimensions = groupBy.map((dimension) => DIMENSION_COLUMNS[dimension]);
  let query = db
    .selectFrom('cost_ledger')
    .select([
      ...groupBy.map((dimension) => DIMENSION_COLUMNS[dimension].as(dimension)),
      ...Object.entries(AMOUNT_COLUMNS).map(([name, column]) => column.as(name)),
    ])
    .where('tenant_id', '=', tenantId)
    .where(sql<boolean>`day between ${range.from}::date and ${range.to}::date`)
    .$if(dimensions.length > 0, (grouped) => grouped.groupBy(dimensions))
    // Without grouping, no ledger rows must mean no group, not one group of nulls.
    .having(sql<number>`count(*)`, '>', 0)
    .limit(MAX_USAGE_GROUPS + 1);
  if (filters.user !== undefined) query = query.where('user_id', '=', filters.user);
  if (filters.feature !== undefined) query = query.where('feature', '=', filters.feature);
  if (filters.model !== undefined) query = query.where('model', '=', filters.model);
  if (filters.deployment !== undefined) query = query.where('deployment', '=', filters.deployment);
  for (const dimension of dimensions) query = query.orderBy(dimension);
  const rows = (await query.execute()) as Record<string, string>[];
  if (rows.length > MAX_USAGE_GROUPS) {
    throw new ApiError(
      400,
      'TESSERA_USAGE_REPORT_TOO_LARGE',
      `querystring.groupBy: more than ${MAX_USAGE_GROUPS} groups; narrow the range, filter, or group by fewer dimensions`,
      'querystring.groupBy',
    );
  }
  return rows.map((row) => groupOf(row, groupBy));
}

function groupOf(row: Record<string, string>, groupBy: readonly UsageDimension[]): UsageGroup {
  const keys: Partial<Record<UsageDimension, string | null>> = {};
  for (const dimension of groupBy) {
    const value = row[dimension] ?? '';
    // The ledger files calls without a user or feature under ''; the API says null.
    keys[dimension] = value === '' && (dimension === 'user' || dimension === 'feature') ? null : value;
  }
  return {
    ...keys,
    calls: Number(row.calls),
    cachedCalls: Number(row.cachedCalls),
    inputTokens: Number(row.inputTokens),
    cachedInputTokens: Number(row.cachedInputTokens),
    outputTokens: Number(row.outputTokens),
    costMicros: Number(row.costMicros),
  } as UsageGroup;
}

export function totalsOf(groups: readonly UsageAmounts[]): UsageAmounts {
  const totals: UsageAmounts = { calls: 0, cachedCalls: 0, inputTokens: 0, cachedInputTokens: 0, outputTokens: 0, costMicros: 0 };
  for (const group of groups) {
    for (const name of Object.keys(totals) as (keyof UsageAmounts)[]) totals[name] += group[name];
  }
  return totals;
}
