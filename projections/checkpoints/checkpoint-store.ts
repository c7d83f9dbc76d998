import type { ReadModelDatabase, ReadModels } from '../read-model-database.js';
import type { Transaction } from 'kysely';
import type { Migration } from 'kysely/migration';
import { parseGlobalPosition, type GlobalPosition } from '../../domain/events/global-position.js';
import { migrateToLatest } from '../../infra/sql/migrate.js';
import * as createCheckpoints from './migrations/2026-11-23-0001-create-checkpoints.js';

const migrations: Record<string, Migration> = {
  '2026-11-23-0001-create-checkpoints': createCheckpoints,
};

export async function migrateCheckpoints(db: ReadModels): Promise<void> {
  await migrateToLatest(db, migrations, 'tessera_checkpoints');
}

export interface StoredCheckpoint {
  position: GlobalPosition;
  version: number;
  eventsApplied: number;
}

type Executor = ReadModels | Transaction<ReadModelDatabase>;

/** Reads a checkpoint; with `forUpdate` inside a transaction, holds its row until commit. */
export async function readCheckpoint(
  db: Executor,
  name: string,
  options: { forUpdate?: boolean } = {},
): Promise<StoredCheckpoint | undefined> {
  let query = db.selectFrom('tessera_checkpoints').select(['position', 'version', 'events_applied']).where('name', '=', name);
  if (options.forUpdate) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  return row
    ? { position: parseGlobalPosition(row.position), version: row.version, eventsApplied: Number(row.events_applied) }
    : undefined;
}

export async function writeCheckpoint(
  db: Executor,
  name: string,
  checkpoint: { position: GlobalPosition; version: number; eventsApplied?: number },
): Promise<void> {
  const applied = String(checkpoint.eventsApplied ?? 0);
  await db
    .insertInto('tessera_checkpoints')
    .values({ name, position: checkpoint.position, version: checkpoint.version, events_applied: applied })
    .onConflict((conflict) =>
      conflict.column('name').doUpdateSet({
        position: checkpoint.position,
        version: checkpoint.version,
        events_applied: applied,
        updated_at: new Date(),
      }),
    )
    .execute();
}


/** Waits until a checkpoint (of at least `version`) has reached `position`: start-up readiness and tests. */
export async function waitForCheckpoint(
  db: ReadModels,
  name: string,
  position: GlobalPosition,
  options: { version?: number; timeoutMs?: number } = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const checkpoint = await readCheckpoint(db, name);
    if (checkpoint && checkpoint.position >= position && checkpoint.version >= (options.version ?? 0)) return;
    if (Date.now() > deadline) {
      throw new Error(`checkpoint ${name} is at ${checkpoint?.position ?? 'nothing'}, not ${position}, after ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
