import type { Principal } from '../auth/principal.js';
import type { CounterLimit, RateLimitCounter } from './rate-limit-counter.js';
import { rateLimitExceeded, type LimitScope, type LimitUnit } from './rate-limit-exceeded.js';
import { rateLimitHeaders, retryAfterHeaders, type LimitStanding } from './rate-limit-headers.js';

/** Limits per minute; 0 means none. */
export interface RateLimitSettings {
  keyRequestsPerMinute: number;
  tenantRequestsPerMinute: number;
  keyTokensPerMinute: number;
  tenantTokensPerMinute: number;
}

/** What one request counts against its limits, per unit. */
export type LimitAmounts = Partial<Record<LimitUnit, number>>;

export interface RateLimits {
  /**
   * Counts each unit's amount against the caller's key and tenant, every counter in one
   * step. Returns the headers to send with the response; throws a 429 ApiError (with
   * Retry-After) when any limit has no room, having counted nothing.
   */
  admit(principal: Principal, amounts: LimitAmounts): Promise<Record<string, string>>;
  /** True when some limit of this unit is set, so callers can skip estimating. */
  limits(unit: LimitUnit): boolean;
  close(): Promise<void>;
}

const MINUTE_MS = 60_000;

interface Limit {
  scope: LimitScope;
  unit: LimitUnit;
  limit: number;
}

/**
 * Both counters of a tenant share a `{tenant}` hash tag, so one script can touch them
 * on a Redis Cluster too.
 */
const counterId = (principal: Principal, limit: Limit): string =>
  limit.scope === 'key'
    ? `{${principal.tenantId}}:key:${principal.keyId}:${limit.unit}`
    : `{${principal.tenantId}}:tenant:${limit.unit}`;

export function createRateLimits(counter: RateLimitCounter, settings: RateLimitSettings, windowMs = MINUTE_MS): RateLimits {
  const byUnit: Record<LimitUnit, Limit[]> = {
    requests: [
      { scope: 'key' as const, unit: 'requests' as const, limit: settings.keyRequestsPerMinute },
      { scope: 'tenant' as const, unit: 'requests' as const, limit: settings.tenantRequestsPerMinute },
    ].filter((limit) => limit.limit > 0),
    tokens: [
      { scope: 'key' as const, unit: 'tokens' as const, limit: settings.keyTokensPerMinute },
      { scope: 'tenant' as const, unit: 'tokens' as const, limit: settings.tenantTokensPerMinute },
    ].filter((limit) => limit.limit > 0),
  };

  return {
    limits: (unit) => byUnit[unit].length > 0,
    async admit(principal, amounts) {
      const counted = (Object.keys(amounts) as LimitUnit[]).flatMap((unit) => byUnit[unit].map((limit) => ({ limit, amount: amounts[unit]! })));
      if (counted.length === 0) return {};
      // No wait would ever let it through: say so, without a Retry-After that invites a futile retry.
      const tooLarge = counted.find(({ limit, amount }) => amount > limit.limit);
      if (tooLarge) throw rateLimitExceeded(tooLarge.limit, tooLarge.amount, undefined, {});

      const counters: CounterLimit[] = counted.map(({ limit, amount }) => ({ id: counterId(principal, limit), limit: limit.limit, amount }));
      const result = await counter.consume(counters, windowMs);
      if (!result.allowed) {
        const { limit: refused, amount } = counted[result.refusedIndex]!;
        const standing = { limit: refused.limit, remaining: Math.max(0, refused.limit - result.counter.used), resetInMs: result.counter.resetInMs };
        throw rateLimitExceeded(refused, amount, standing.resetInMs, { ...rateLimitHeaders(refused.unit, standing), ...retryAfterHeaders(standing.resetInMs) });
      }
      // Per unit, the headers describe whichever limit is closer to running out.
      const tightest = new Map<LimitUnit, LimitStanding>();
      counted.forEach(({ limit }, index) => {
        const state = result.counters[index]!;
        const standing = { limit: limit.limit, remaining: Math.max(0, limit.limit - state.used), resetInMs: state.resetInMs };
        const closest = tightest.get(limit.unit);
        if (!closest || standing.remaining < closest.remaining) tightest.set(limit.unit, standing);
      });
      return Object.assign({}, ...[...tightest].map(([unit, standing]) => rateLimitHeaders(unit, standing))) as Record<string, string>;
    },
    close: () => counter.close(),
  };
}
