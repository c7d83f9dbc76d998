import type { Generated, Insertable, Selectable } from 'kysely';

/** Where each projection (and the forwarder) has got to in the global order. */
export interface CheckpointsTable {
  name: string;
  position: string;
  version: number;
  events_applied: Generated<string>;
  updated_at: Generated<Date>;
}

export type Checkpoint = Selectable<CheckpointsTable>;
export type NewCheckpoint = Insertable<CheckpointsTable>;
