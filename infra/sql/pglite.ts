import { PGlite, types } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';

/**
 * Opens the embedded database (in memory when `dataDir` is undefined) the way every
 * part of Tessera expects it: pgvector loaded, and bigints returned as text exactly
 * like the `pg` driver, so one kysely schema reads both.
 */
export async function openPglite(dataDir?: string): Promise<PGlite> {
  const pglite = await PGlite.create({
    dataDir,
    extensions: { vector },
    parsers: { [types.INT8]: (value: string) => value },
  });
  await pglite.exec('create extension if not exists vector');
  return pglite;
}
