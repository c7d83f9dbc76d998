import type { Transaction } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { RecordedEvent } from '../domain/events/envelope.js';
import type { ReadModelDatabase } from './read-model-database.js';

/**
 * A read model built from the log. The runner hands it batches of the event types it
 * declares, inside the transaction that also moves its checkpoint, so each event
 * changes the read model exactly once.
 */
export interface Projection {
  /** Stable name: the checkpoint key and the argument of `tessera project rebuild`. */
  name: string;
  /** Bumping it makes the next start rebuild the projection from position 0. */
  version: number;
  /** Event types the projection reads ('all' for every type); others only move its checkpoint. */
  eventTypes: readonly string[] | 'all';
  /** Frozen migrations creating its tables. */
  migrations: Record<string, Migration>;
  /** Tables emptied before a rebuild. */
  tables: readonly Exclude<keyof ReadModelDatabase, 'tessera_checkpoints'>[];
  /** Applies a batch (in global order). Must only write through `transaction`. */
  apply(transaction: Transaction<ReadModelDatabase>, events: readonly RecordedEvent[]): Promise<void>;
}
