import { setFlagsFromString } from 'node:v8';

/**
 * V8 sizes the next full collection by how fast the process allocates, up to four times
 * what survived the last one. After a burst of requests a server holding only idle
 * connections allocates too little to reach that limit, so the burst's garbage stays
 * resident for as long as the lull lasts. A fixed, smaller factor collects it on the way.
 * Read whenever a collection sets the next limit, so it holds from here on.
 */
export function limitHeapGrowth(percent: number): void {
  if (percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`);
}
