/**
 * JSON with object keys sorted at every depth and undefined members dropped, so two
 * values that mean the same thing serialise to the same text whatever order their
 * keys were written in. Arrays keep their order: it is part of what they mean.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value)) ?? 'null';
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => (item === undefined ? null : sortKeys(item)));
  if (value === null || typeof value !== 'object') return value;
  // No prototype: a member named `__proto__` (a JSON Schema may have one) stays a member instead of setting one.
  const sorted = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(value).sort()) {
    const member = (value as Record<string, unknown>)[key];
    if (member !== undefined) sorted[key] = sortKeys(member);
  }
  return sorted;
}
