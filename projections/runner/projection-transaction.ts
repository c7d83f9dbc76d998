import { sql, type Transaction } from 'kysely';
import type { ReadModelDatabase, ReadModels } from '../read-model-database.js';

/**
 * A transaction that moves read models and their checkpoints, committed without
 * waiting for its WAL flush. What it writes is derived from the log, and a checkpoint
 * moves in the same transaction as the rows: a crash that loses the last such commits
 * loses their checkpoint too, and the projection applies those events again from the
 * log. The wait it saves is a disk flush per batch, on the path of every turn.
 */
export function projectionTransaction<Result>(db: ReadModels, work: (transaction: Transaction<ReadModelDatabase>) => Promise<Result>): Promise<Result> {
  return db.transaction().execute(async (transaction) => {
    await sql`set local synchronous_commit = off`.execute(transaction);
    return work(transaction);
  });
}
