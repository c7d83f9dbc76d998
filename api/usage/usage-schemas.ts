import { z } from 'zod';
import { featureTagSchema } from '../../domain/turn/events/turn-requested.js';

/** What a usage report can be grouped by. */
export const USAGE_DIMENSIONS = ['user', 'feature', 'model', 'deployment', 'day'] as const;
export type UsageDimension = (typeof USAGE_DIMENSIONS)[number];

const isDimension = (name: string): name is UsageDimension => (USAGE_DIMENSIONS as readonly string[]).includes(name);

const dayOrTime = z
  .union([z.iso.date(), z.iso.datetime({ offset: true })])
  .describe('A date (`2026-03-01`) or date-time; the ledger counts whole UTC days, so the day containing it');

const groupBy = z
  .string()
  .max(200)
  .describe(`Comma-separated dimensions: ${USAGE_DIMENSIONS.join(', ')}; empty for totals only`)
  .transform((text, context) => {
    const names = text.split(',').map((name) => name.trim()).filter((name) => name !== '');
    const unknown = names.find((name) => !isDimension(name));
    if (unknown !== undefined) {
      context.addIssue({ code: 'custom', message: `unknown dimension "${unknown}": group by ${USAGE_DIMENSIONS.join(', ')}` });
      return z.NEVER;
    }
    return [...new Set(names)] as UsageDimension[];
  });

export const usageQuerystring = z
  .object({
    from: dayOrTime.optional().describe('First day of the report, inclusive; defaults to 29 days before `to`'),
    to: dayOrTime.optional().describe('Last day of the report, inclusive; defaults to today (UTC)'),
    groupBy: groupBy.optional(),
    user: z.string().min(1).max(200).optional().describe('Only this end user'),
    feature: featureTagSchema.optional().describe('Only this feature tag'),
    model: z.string().min(1).max(200).optional().describe('Only this model id'),
    deployment: z.string().min(1).max(100).optional().describe('Only this gateway deployment'),
  })
  .strict();

export type UsageQuerystring = z.output<typeof usageQuerystring>;

const count = z.number().int().min(0);

export const usageAmounts = z.object({
  calls: count.describe('Model calls, cached ones included'),
  cachedCalls: count.describe('Calls answered from the exact-match cache; they cost nothing'),
  inputTokens: count,
  cachedInputTokens: count.describe('Part of inputTokens served from the provider prompt cache'),
  outputTokens: count,
  costMicros: count.describe('Cost at the configured prices, in millionths of the billing currency'),
});

export const usageGroup = usageAmounts.extend({
  user: z.string().nullable().optional().describe('null: calls made without a user'),
  feature: z.string().nullable().optional().describe('null: calls made without a feature tag'),
  model: z.string().optional(),
  deployment: z.string().optional(),
  day: z.string().optional().describe('UTC day, YYYY-MM-DD'),
});

export const usageReport = z.object({
  object: z.literal('list'),
  from: z.string().describe('First day covered, YYYY-MM-DD'),
  to: z.string().describe('Last day covered, YYYY-MM-DD'),
  groupBy: z.array(z.enum(USAGE_DIMENSIONS)),
  data: z.array(usageGroup),
  totals: usageAmounts,
});

export type UsageAmounts = z.infer<typeof usageAmounts>;
export type UsageGroup = z.infer<typeof usageGroup>;
export type UsageReport = z.infer<typeof usageReport>;
