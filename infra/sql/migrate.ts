import type { Kysely } from 'kysely';
import { Migrator, type Migration } from 'kysely/migration';

/**
 * Applies a set of frozen migrations, each set with its own bookkeeping table, so the
 * event log and the read models can be migrated (and dropped) independently. Kysely's
 * migrator takes a lock, so processes starting together do not race.
 */
export async function migrateToLatest(
  db: Kysely<any>,
  migrations: Record<string, Migration>,
  tablePrefix: string,
): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(migrations) },
    migrationTableName: `${tablePrefix}_migrations`,
    migrationLockTableName: `${tablePrefix}_migrations_lock`,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((result) => result.status === 'Error');
    throw new Error(`migration ${failed?.migrationName ?? '(unknown)'} of ${tablePrefix} failed`, { cause: error });
  }
}
