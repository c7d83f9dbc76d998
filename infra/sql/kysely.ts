import type { PGlite } from '@electric-sql/pglite';
import { Kysely, PGliteDialect, PostgresDialect } from 'kysely';
import { OneTripPgliteDialect } from './pglite-dialect.js';
import pg from 'pg';

/** A kysely instance on a PostgreSQL pool; destroying it ends the pool. */
export function createPostgresKysely<Database>(pool: pg.Pool): Kysely<Database> {
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

export function createPostgresKyselyFromUrl<Database>(connectionString: string, max = 10): Kysely<Database> {
  return createPostgresKysely(new pg.Pool({ connectionString, max }));
}

/**
 * A kysely instance on an embedded PGlite database; destroying it closes the database.
 * Each statement goes in one trip into the database unless `preparedStatements` is false.
 */
export function createPgliteKysely<Database>(pglite: PGlite, options: { preparedStatements?: boolean } = {}): Kysely<Database> {
  const dialect = options.preparedStatements === false ? new PGliteDialect({ pglite }) : new OneTripPgliteDialect(pglite);
  return new Kysely<Database>({ dialect });
}
