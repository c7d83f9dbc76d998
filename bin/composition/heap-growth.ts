import { setFlagsFromString } from 'node:v8';
import type { Config } from '../../infra/config/settings.js';

/** A laptop's process holds every part and its database, so memory counts most there. */
const EMBEDDED_HEAP_GROWTH_PERCENT = 50;
/** A fleet's processes run at load, where each full collection costs throughput. */
const SERVICES_HEAP_GROWTH_PERCENT = 100;

/**
 * V8 sizes the next full collection by how fast the process allocates, up to four times
 * what survived the last one. After a burst of requests a server holding only idle
 * connections allocates too little to reach that limit, so the burst's garbage stays
 * resident for as long as the lull lasts. A fixed, smaller factor collects it on the way,
 * at the cost of more full collections under load. Fixed means fixed: it also replaces
 * the smaller factors V8 would choose near a heap limit, which a server with its limit
 * set far above its working set does not reach. Read whenever a collection sets the next
 * limit, so it holds from here on.
 */
export function limitHeapGrowth(config: Pick<Config, 'heapGrowthPercent' | 'profile'>): void {
  const percent = config.heapGrowthPercent ?? (config.profile === 'embedded' ? EMBEDDED_HEAP_GROWTH_PERCENT : SERVICES_HEAP_GROWTH_PERCENT);
  if (percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`);
}
