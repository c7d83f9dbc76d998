import { PGlite, types } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';

const DEFAULT_SHARED_BUFFERS_MB = 16;

/**
 * Opens the embedded database (in memory when `dataDir` is undefined) the way every
 * part of Tessera expects it: pgvector loaded, and bigints returned as text exactly
 * like the `pg` driver, so one kysely schema reads both.
 */
export async function openPglite(dataDir?: string, options: { sharedBuffersMb?: number } = {}): Promise<PGlite> {
  const pglite = await PGlite.create({
    dataDir,
    extensions: { vector },
    parsers: { [types.INT8]: (value: string) => value },
    // PostgreSQL's 128 MB of shared buffers sit inside the process's own memory here, for a database that is mostly small.
    postgresqlconf: [`shared_buffers=${options.sharedBuffersMb ?? DEFAULT_SHARED_BUFFERS_MB}MB`],
  });
  await pglite.exec('create extension if not exists vector');
  return pglite;
}
