import { sql, type Transaction } from 'kysely';
import type { ReadModelDatabase, ReadModels } from '../read-model-database.js';

/** Per database handle: whether its commits wait for a disk flush at all (PGlite runs with `fsync` off). */
const flushesOnCommit = new WeakMap<ReadModels, Promise<boolean>>();

function commitsFlush(db: ReadModels): Promise<boolean> {
  let known = flushesOnCommit.get(db);
  if (!known) {
    known = sql<{ flushes: boolean }>`select current_setting('fsync') = 'on' as flushes`.execute(db).then((result) => result.rows[0]?.flushes === true);
    // A failed check is asked again next time rather than remembered.
    known.catch(() => flushesOnCommit.delete(db));
    flushesOnCommit.set(db, known);
  }
  return known;
}

/**
 * A transaction that moves read models and their checkpoints, committed without
 * waiting for its WAL flush. What it writes is derived from the log, and a checkpoint
 * moves in the same transaction as the rows: a crash that loses the last such commits
 * loses their checkpoint too, and the projection applies those events again from the
 * log. The wait it saves is a disk flush per batch, on the path of every turn; where
 * commits never flush (PGlite), the statement that relaxes them would only cost time.
 */
export async function projectionTransaction<Result>(db: ReadModels, work: (transaction: Transaction<ReadModelDatabase>) => Promise<Result>): Promise<Result> {
  const relax = await commitsFlush(db);
  return db.transaction().execute(async (transaction) => {
    if (relax) await sql`set local synchronous_commit = off`.execute(transaction);
    return work(transaction);
  });
}
