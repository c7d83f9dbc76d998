import type { ForwarderCheckpoints } from '../../infra/bus/forwarder/forwarder.js';
import { readCheckpoint, writeCheckpoint } from '../../projections/checkpoints/checkpoint-store.js';
import type { ReadModels } from '../../projections/index.js';

/** The forwarder keeps its place in the same checkpoint table as the projections. */
export function forwarderCheckpoints(db: ReadModels): ForwarderCheckpoints {
  return {
    read: async (name) => (await readCheckpoint(db, name))?.position,
    write: (name, position) => writeCheckpoint(db, name, { position, version: 1 }),
  };
}
