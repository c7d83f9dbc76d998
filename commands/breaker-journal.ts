import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { CircuitBreakerStateChangedData } from '../domain/deployment/circuit-breaker-events.js';
import { newId, type EventId } from '../domain/shared/ids.js';
import { streamId } from '../domain/shared/stream-id.js';
import type { EventStore } from '../infra/event-store/port.js';

/** Breakers belong to the deployment, not to any tenant. */
const SYSTEM_TENANT = 'system';
const MAX_CAUSE_LENGTH = 1_000;

export type BreakerChange = Omit<CircuitBreakerStateChangedData, 'processId' | 'changedAt'> & { changedAt?: Date };

export interface BreakerJournalOptions {
  store: Pick<EventStore, 'appendToStream'>;
  /** This process, as the events name it. */
  processId: string;
  logger: Pick<Logger, 'warn' | 'error'>;
  /** Wait between attempts while the store refuses an append. */
  retryDelayMs?: number;
  /** Changes kept while the store is unreachable; beyond it the oldest are dropped, and counted in the log. */
  maxPending?: number;
}

export interface BreakerJournal {
  /** Takes a change as the breaker reports it; never blocks or throws, since the breaker sits on the call path. */
  record(change: BreakerChange): void;
  /** Appends what is still pending (one more try each) and stops. */
  close(): Promise<void>;
}

/**
 * Records every breaker transition of this process as CircuitBreakerStateChanged on
 * `breaker-<deployment>`, in the order they happened. A store that is briefly down
 * delays the events, it does not lose them.
 */
export function createBreakerJournal(options: BreakerJournalOptions): BreakerJournal {
  const retryDelayMs = options.retryDelayMs ?? 1_000;
  const maxPending = options.maxPending ?? 1_000;
  const pending: CircuitBreakerStateChangedData[] = [];
  let draining: Promise<void> | undefined;
  let closing = false;
  let dropped = 0;

  const append = (change: CircuitBreakerStateChangedData) => {
    const correlationId = newId();
    return options.store.appendToStream(
      streamId('breaker', change.deployment),
      [{ id: newId<EventId>(), type: 'CircuitBreakerStateChanged', data: change, metadata: { tenantId: SYSTEM_TENANT, correlationId, causationId: correlationId } }],
      { expectedRevision: 'any' },
    );
  };

  const drain = async () => {
    while (pending.length > 0) {
      try {
        await append(pending[0]!);
        pending.shift();
      } catch (error) {
        if (closing) {
          options.logger.error({ err: error, lost: pending.length }, 'circuit breaker changes could not be recorded before shutdown');
          pending.length = 0;
          return;
        }
        options.logger.warn({ err: error, pending: pending.length }, 'recording a circuit breaker change failed; retrying');
        await sleep(retryDelayMs);
      }
    }
  };

  const startDraining = () => {
    draining ??= drain().finally(() => {
      draining = undefined;
      // A change recorded while the last append was settling.
      if (pending.length > 0) startDraining();
    });
  };

  return {
    record(change) {
      if (closing) return;
      const { changedAt = new Date(), cause, ...rest } = change;
      pending.push({
        ...rest,
        ...(cause && { cause: { ...cause, message: cause.message.slice(0, MAX_CAUSE_LENGTH) } }),
        processId: options.processId,
        changedAt: changedAt.toISOString(),
      });
      if (pending.length > maxPending) {
        // The one being appended stays; the next oldest goes.
        pending.splice(1, 1);
        dropped += 1;
        options.logger.error({ dropped }, 'circuit breaker changes dropped: the store has been unreachable too long');
      }
      startDraining();
    },
    async close() {
      closing = true;
      await draining;
    },
  };
}
