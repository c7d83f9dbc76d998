import { ApiError } from '../errors/api-error.js';

/** Longer ranges are refused: a report is one response, and a year of days is plenty per request. */
export const MAX_RANGE_DAYS = 366;

/** Days the report covers when none are given: today and the 29 before it. */
export const DEFAULT_RANGE_DAYS = 30;

const DAY_MS = 86_400_000;

export interface UsageRange {
  /** First UTC day, inclusive, YYYY-MM-DD. */
  from: string;
  /** Last UTC day, inclusive, YYYY-MM-DD. */
  to: string;
}

/** The inclusive UTC days a request asks for; an inverted or too long range names `querystring.from`. */
export function resolveUsageRange(query: { from?: string; to?: string }, now: Date): UsageRange {
  const to = query.to === undefined ? dayOf(now) : askedDay(query.to, 'to');
  const from = query.from === undefined ? addDays(to, 1 - DEFAULT_RANGE_DAYS) : askedDay(query.from, 'from');
  if (from > to) throw invalidRange(`from (${from}) is after to (${to})`);
  const days = (Date.parse(to) - Date.parse(from)) / DAY_MS + 1;
  if (days > MAX_RANGE_DAYS) throw invalidRange(`the range covers ${days} days; ask for at most ${MAX_RANGE_DAYS} at a time`);
  return { from, to };
}

/** A day of years 1 to 9999 in UTC, as the ledger's dates are; an offset may carry a date-time just past them. */
function askedDay(value: string, field: 'from' | 'to'): string {
  const day = dayOf(new Date(value));
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || day < '0001-01-01') {
    throw new ApiError(400, 'TESSERA_INVALID_REQUEST', `querystring.${field}: ${value} falls outside the years 1 to 9999 in UTC`, `querystring.${field}`);
  }
  return day;
}

function dayOf(moment: Date): string {
  return moment.toISOString().slice(0, 10);
}

function addDays(day: string, days: number): string {
  return dayOf(new Date(Date.parse(day) + days * DAY_MS));
}

function invalidRange(message: string): ApiError {
  return new ApiError(400, 'TESSERA_INVALID_REQUEST', `querystring.from: ${message}`, 'querystring.from');
}
