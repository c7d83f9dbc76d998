import { fileURLToPath } from 'node:url';
import { startChild } from './child-process.js';
import { TSX_LOADER } from './tsx-loader.js';

export interface CacheHitFloorProcess {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

const SCRIPT = fileURLToPath(new URL('./cache-hit-floor-process.ts', import.meta.url));

/** The bare server of cache-hit-floor-process.ts in a process of its own. */
export async function spawnCacheHitFloor(options: { postgresUrl: string; redisUrl?: string }): Promise<CacheHitFloorProcess> {
  const child = startChild(
    'cache-hit floor',
    process.execPath,
    ['--import', TSX_LOADER, SCRIPT, '--postgres-url', options.postgresUrl, ...(options.redisUrl ? ['--redis-url', options.redisUrl] : [])],
    { ...process.env, NODE_ENV: 'production' },
  );
  const [, url] = await child.waitForOutput(/^CACHE_HIT_FLOOR_URL=(\S+)$/, 30_000);
  if (!url) throw new Error('the cache-hit floor printed no URL');
  return { url, pid: child.pid, stop: async () => void (await child.stop(5_000)) };
}
