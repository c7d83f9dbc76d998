import type { Principal } from '../auth/principal.js';
import type { CounterLimit, RateLimitCounter } from './rate-limit-counter.js';
import { rateLimitExceeded, type LimitScope, type LimitUnit } from './rate-limit-exceeded.js';
import { rateLimitHeaders, retryAfterHeaders } from './rate-limit-headers.js';

/** Limits per minute; 0 means none. */
export interface RateLimitSettings {
  keyRequestsPerMinute: number;
  tenantRequestsPerMinute: number;
  keyTokensPerMinute: number;
  tenantTokensPerMinute: number;
}

export interface RateLimits {
  /**
   * Counts `amount` of `unit` against the caller's key and tenant. Returns the headers
   * to send with the response; throws a 429 ApiError (with Retry-After) when either
   * limit has no room, having counted nothing.
   */
  admit(principal: Principal, unit: LimitUnit, amount: number): Promise<Record<string, string>>;
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
    async admit(principal, unit, amount) {
      const limits = byUnit[unit];
      if (limits.length === 0) return {};
      // No wait would ever let it through: say so, without a Retry-After that invites a futile retry.
      const tooLarge = limits.find((limit) => amount > limit.limit);
      if (tooLarge) throw rateLimitExceeded(tooLarge, amount, undefined, {});

      const counters: CounterLimit[] = limits.map((limit) => ({ id: counterId(principal, limit), limit: limit.limit }));
      const result = await counter.consume(counters, amount, windowMs);
      if (!result.allowed) {
        const refused = limits[result.refusedIndex]!;
        const standing = { limit: refused.limit, remaining: Math.max(0, refused.limit - result.counter.used), resetInMs: result.counter.resetInMs };
        throw rateLimitExceeded(refused, amount, standing.resetInMs, { ...rateLimitHeaders(unit, standing), ...retryAfterHeaders(standing.resetInMs) });
      }
      // The headers describe whichever limit is closer to running out.
      const standings = limits.map((limit, index) => {
        const state = result.counters[index]!;
        return { limit: limit.limit, remaining: Math.max(0, limit.limit - state.used), resetInMs: state.resetInMs };
      });
      const tightest = standings.reduce((closest, standing) => (standing.remaining < closest.remaining ? standing : closest));
      return rateLimitHeaders(unit, tightest);
    },
    close: () => counter.close(),
  };
}
