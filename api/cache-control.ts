/** `Cache-Control: no-cache` (or `no-store`) asks for an answer from the model, not from the cache. */
export function wantsFreshAnswer(cacheControl: string | string[] | undefined): boolean {
  const directives = (Array.isArray(cacheControl) ? cacheControl.join(',') : cacheControl ?? '').toLowerCase().split(',');
  return directives.some((directive) => ['no-cache', 'no-store'].includes(directive.trim()));
}
