import type { RecordedEvent } from '../../domain/events/envelope.js';
import { isAfter, parseGlobalPosition, type GlobalPosition } from '../../domain/events/global-position.js';
import type { EventStore } from '../../infra/event-store/port.js';
import { BatchHurry, microBatches } from '../../infra/event-store/micro-batches.js';
import { keepRunning } from '../../infra/keep-running.js';
import type { Projection } from '../projection.js';
import type { ReadModels } from '../read-model-database.js';
import { projectionTransaction } from './projection-transaction.js';
import type { ConversationViewTracker } from '../conversations/conversation-view-progress.js';
import { positionToResume, type RunningProjection, type RunProjectionOptions } from './run-projection.js';

export interface RunProjectionGroupOptions extends RunProjectionOptions {
  /**
   * A batch gathers events for up to this long after its first, so a busy process
   * applies many turns per transaction instead of one or two, and a lone commit's
   * transaction comes after the work that made it rather than during. 0 applies what
   * was read at once.
   */
  lingerMs?: number;
  /** Told what the group reads and applies, so a prompt can wait for its conversation's view. */
  conversationView?: ConversationViewTracker;
}

/**
 * Several projections kept up to date together: one subscription, and one transaction
 * per batch that applies it to each of them and moves all their checkpoints. Each
 * projection still has its own checkpoint, locked and compared in that transaction,
 * so the guarantee is the same as one runner per projection (exactly once, even with
 * several runners), at a fraction of the transactions.
 */
export function runProjectionGroup(db: ReadModels, store: EventStore, projections: readonly Projection[], options: RunProjectionGroupOptions = {}): RunningProjection {
  const controller = new AbortController();
  const names = projections.map((projection) => projection.name).sort();
  const onError = (error: unknown) => options.onError?.(error, names.join(','));
  const { conversationView } = options;
  const hurry = new BatchHurry(() => conversationView?.waiting() ?? false);
  const pacing = options.lingerMs ? { lingerMs: options.lingerMs, hurry } : undefined;
  conversationView?.attach(() => {
    // What the prompt waits for may be a quietly announced commit that nobody has read yet.
    store.announceNow?.();
    hurry.request();
  });

  const follow = async () => {
    const positions = new Map<string, GlobalPosition>();
    for (const projection of projections) positions.set(projection.name, await positionToResume(db, projection));
    const from = [...positions.values()].reduce((earliest, position) => (isAfter(earliest, position) ? position : earliest));
    // Another runner may have applied what this one was waiting to (a moved checkpoint): the view has everything up to here.
    conversationView?.applied(from);
    const subscription = store.subscribeToAll({ after: from, signal: controller.signal, onError });
    try {
      for await (const batch of microBatches(conversationView ? noting(subscription, conversationView) : subscription, options.batchSize ?? 500, pacing)) {
        const moved = await applyToGroup(db, projections, batch, positions);
        if (moved) return;
        conversationView?.applied(batch.at(-1)!.position);
      }
    } finally {
      await subscription.close();
    }
  };

  const loop = keepRunning(controller.signal, follow, onError);
  return {
    async stop() {
      controller.abort();
      await loop;
      conversationView?.detach();
    },
  };
}

/** Notes each event as it is read, while its batch may still be lingering. */
async function* noting(events: AsyncIterable<RecordedEvent>, conversationView: ConversationViewTracker): AsyncGenerator<RecordedEvent> {
  for await (const event of events) {
    conversationView.noted(event, event.position);
    yield event;
  }
}

/**
 * Applies a batch to every projection that has not seen it yet, in one transaction
 * with all their checkpoints. True when another runner or a rebuild moved one of them:
 * nothing is applied and the caller starts again from the stored checkpoints.
 */
async function applyToGroup(
  db: ReadModels,
  projections: readonly Projection[],
  events: readonly RecordedEvent[],
  positions: Map<string, GlobalPosition>,
): Promise<boolean> {
  const last = events.at(-1);
  if (!last) return false;
  const moved = await projectionTransaction(db, async (transaction) => {
    // Locked in name order, so runners of overlapping groups cannot deadlock.
    const stored = await transaction
      .selectFrom('tessera_checkpoints')
      .select(['name', 'position', 'events_applied'])
      .where('name', 'in', projections.map((projection) => projection.name))
      .orderBy('name')
      .forUpdate()
      .execute();
    const storedByName = new Map(stored.map((row) => [row.name, row]));
    for (const projection of projections) {
      const row = storedByName.get(projection.name);
      if (!row || parseGlobalPosition(row.position) !== positions.get(projection.name)) return true;
    }
    const moves = [];
    for (const projection of projections) {
      const from = positions.get(projection.name)!;
      const unseen = events.filter((event) => isAfter(event.position, from));
      if (unseen.length === 0) continue;
      const handled = projection.eventTypes === 'all' ? undefined : new Set(projection.eventTypes);
      const relevant = handled ? unseen.filter((event) => handled.has(event.type)) : unseen;
      if (relevant.length > 0) await projection.apply(transaction, relevant);
      const applied = Number(storedByName.get(projection.name)!.events_applied) + relevant.length;
      moves.push({ name: projection.name, position: last.position, version: projection.version, events_applied: String(applied) });
    }
    if (moves.length > 0) {
      await transaction
        .insertInto('tessera_checkpoints')
        .values(moves)
        .onConflict((conflict) =>
          conflict.column('name').doUpdateSet((update) => ({
            position: update.ref('excluded.position'),
            events_applied: update.ref('excluded.events_applied'),
            updated_at: new Date(),
          })),
        )
        .execute();
    }
    return false;
  });
  if (!moved) for (const projection of projections) if (isAfter(last.position, positions.get(projection.name)!)) positions.set(projection.name, last.position);
  return moved;
}
