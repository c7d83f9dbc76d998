import type { Logger } from 'pino';
import { handleCommand } from '../../commands/handle-command.js';
import { newId } from '../../domain/shared/ids.js';
import { streamId } from '../../domain/shared/stream-id.js';
import { turnDecider } from '../../domain/turn/decide-turn.js';
import type { EventStore } from '../../infra/event-store/port.js';
import type { ReadModels } from '../../projections/read-model-database.js';

/**
 * Ends turns that passed their deadline (a lost message, a hung provider, an approval
 * nobody gave): ExpireTurn records TurnFailed with reason deadline-exceeded. Several
 * workers may sweep at once; the decider makes the second expiry a no-op.
 */
export function startDeadlineSweeper(store: EventStore, db: ReadModels, logger: Logger, intervalMs = 5_000): () => Promise<void> {
  let running: Promise<void> = Promise.resolve();
  const sweep = async () => {
    const overdue = await db
      .selectFrom('turns')
      .select(['turn_id', 'tenant_id'])
      .where('finished_at', 'is', null)
      .where('status', 'not in', ['completed', 'failed'])
      .where('deadline', '<', new Date())
      .limit(200)
      .execute();
    for (const turn of overdue) {
      const correlationId = newId();
      await handleCommand(store, streamId('turn', turn.turn_id), turnDecider, { type: 'ExpireTurn', data: { now: new Date() } }, {
        metadata: { tenantId: turn.tenant_id, correlationId, causationId: correlationId },
      }).catch((error: unknown) => logger.warn({ err: error, turnId: turn.turn_id }, 'could not expire turn'));
    }
    if (overdue.length > 0) logger.info({ expired: overdue.length }, 'turns past their deadline ended');
  };
  const timer = setInterval(() => {
    running = running.then(sweep).catch((error: unknown) => logger.error({ err: error }, 'deadline sweep failed'));
  }, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
