/**
 * How long the upstream asks us to wait, in milliseconds: `retry-after-ms` (OpenAI and
 * Azure send it) wins over `Retry-After`, which is either seconds or an HTTP date.
 */
export function retryAfterMs(headers: Headers | undefined, now: number = Date.now()): number | undefined {
  const milliseconds = headers?.get('retry-after-ms');
  if (milliseconds && isNumber(milliseconds)) return Math.max(0, Number(milliseconds));

  const retryAfter = headers?.get('retry-after')?.trim();
  if (!retryAfter) return undefined;
  if (isNumber(retryAfter)) return Math.max(0, Number(retryAfter) * 1000);
  // HTTP dates are GMT; the asctime form says so by saying nothing, which Date.parse would read as local time.
  const date = Date.parse(/\b(GMT|UTC|UT)\b|[+-]\d{4}$|Z$/.test(retryAfter) ? retryAfter : `${retryAfter} GMT`);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function isNumber(value: string): boolean {
  return /^\s*\d+(\.\d+)?\s*$/.test(value);
}
