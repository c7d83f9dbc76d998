import { describe, expect, it } from 'vitest';
import { DomainError } from '../../domain/shared/domain-error.js';
import { MAX_RANGE_DAYS, resolveUsageRange } from './usage-range.js';

const now = new Date('2026-03-15T23:30:00.000Z');

describe('usage range', () => {
  it('defaults to the 30 UTC days ending today', () => {
    expect(resolveUsageRange({}, now)).toEqual({ from: '2026-02-14', to: '2026-03-15' });
  });

  it('ends a range given only its start today, and starts one given only its end 29 days before', () => {
    expect(resolveUsageRange({ from: '2026-03-01' }, now)).toEqual({ from: '2026-03-01', to: '2026-03-15' });
    expect(resolveUsageRange({ to: '2026-01-31' }, now)).toEqual({ from: '2026-01-02', to: '2026-01-31' });
  });

  it('takes the UTC day a date-time falls on, whatever its offset', () => {
    expect(resolveUsageRange({ from: '2026-03-01T23:30:00-02:00', to: '2026-03-03T00:30:00+02:00' }, now)).toEqual({
      from: '2026-03-02',
      to: '2026-03-02',
    });
  });

  it('refuses a date-time whose UTC day falls outside the years 1 to 9999, naming its field', () => {
    expect(() => resolveUsageRange({ from: '0001-01-01T00:30:00+02:00', to: '0001-01-02' }, now)).toThrow(expect.objectContaining({ status: 400, field: 'querystring.from' }) as Error);
    expect(() => resolveUsageRange({ from: '9999-12-01', to: '9999-12-31T23:00:00-02:00' }, now)).toThrow(expect.objectContaining({ status: 400, field: 'querystring.to' }) as Error);
    expect(resolveUsageRange({ from: '9999-12-01', to: '9999-12-31T23:00:00Z' }, now)).toEqual({ from: '9999-12-01', to: '9999-12-31' });
  });

  it('refuses an inverted or too long range, naming querystring.from', () => {
    for (const query of [{ from: '2026-03-02', to: '2026-03-01' }, { from: '2024-01-01', to: '2026-01-01' }]) {
      expect(() => resolveUsageRange(query, now)).toThrow(expect.objectContaining({ status: 400, field: 'querystring.from' }) as Error);
    }
    const longest = resolveUsageRange({ from: '2025-03-15', to: '2026-03-15' }, now);
    expect((Date.parse(longest.to) - Date.parse(longest.from)) / 86_400_000 + 1).toBe(MAX_RANGE_DAYS);
    expect(() => resolveUsageRange({ from: '2025-03-14', to: '2026-03-15' }, now)).toThrow(DomainError);
  });
});
