import type { PGlite } from '@electric-sql/pglite';
import { Kysely, PGliteDialect, PostgresDialect } from 'kysely';
import pg from 'pg';

/** A kysely instance on a PostgreSQL pool; destroying it ends the pool. */
export function createPostgresKysely<Database>(pool: pg.Pool): Kysely<Database> {
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

export function createPostgresKyselyFromUrl<Database>(connectionString: string, max = 10): Kysely<Database> {
  return createPostgresKysely(new pg.Pool({ connectionString, max }));
}

/** A kysely instance on an embedded PGlite database; destroying it closes the database. */
export function createPgliteKysely<Database>(pglite: PGlite): Kysely<Database> {
  return new Kysely<Database>({ dialect: new PGliteDialect({ pglite }) });
}
