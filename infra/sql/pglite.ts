import { setFlagsFromString } from 'node:v8';
import { PGlite, types } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { lockDataDirectory } from './data-directory-lock.js';
import { ensurePgliteCluster, freshPgliteImage } from './pglite-initdb.js';

const DEFAULT_SHARED_BUFFERS_MB = 16;

/**
 * Opens the embedded database (in memory when `dataDir` is undefined) the way every
 * part of Tessera expects it: pgvector loaded, and bigints returned as text exactly
 * like the `pg` driver, so one kysely schema reads both.
 */
export async function openPglite(dataDir?: string, options: { sharedBuffersMb?: number; optimizeWasm?: boolean } = {}): Promise<PGlite> {
  /*
   * V8 compiles PostgreSQL's WebAssembly twice by default: a quick baseline for every
   * function, then optimized code for the hot ones. The second copy costs about 80 MB of
   * resident memory for about 10 % of the embedded profile's throughput, so by default
   * only the baseline is kept. Read when a module is compiled, so set before PGlite's is.
   */
  setFlagsFromString(options.optimizeWasm ? '--no-liftoff-only' : '--liftoff-only');
  const release = dataDir === undefined ? undefined : lockDataDirectory(dataDir);
  try {
    if (dataDir !== undefined) await ensurePgliteCluster(dataDir);
    const pglite = await PGlite.create({
      ...(dataDir === undefined ? { loadDataDir: await freshPgliteImage() } : { dataDir }),
      extensions: { vector },
      parsers: { [types.INT8]: (value: string) => value },
      // PostgreSQL's 128 MB of shared buffers sit inside the process's own memory here, for a database that is mostly small.
      postgresqlconf: [`shared_buffers=${options.sharedBuffersMb ?? DEFAULT_SHARED_BUFFERS_MB}MB`],
    });
    await pglite.exec('create extension if not exists vector');
    if (release) {
      const close = pglite.close.bind(pglite);
      pglite.close = async () => {
        try {
          await close();
        } finally {
          release();
        }
      };
    }
    return pglite;
  } catch (error) {
    release?.();
    throw error;
  }
}
