import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { CircuitBreakerStateChangedData } from '../domain/deployment/circuit-breaker-events.js';
import type { NewEvent } from '../domain/events/envelope.js';
import { DomainError } from '../domain/shared/domain-error.js';
import { newId, type EventId } from '../domain/shared/ids.js';
import { streamId, type StreamId } from '../domain/shared/stream-id.js';
import { SYSTEM_TENANT_ID } from '../domain/tenant/system-tenant.js';
import type { EventStore } from '../infra/event-store/port.js';

const MAX_CAUSE_LENGTH = 1_000;

export type BreakerChange = Omit<CircuitBreakerStateChangedData, 'processId' | 'changedAt'> & { changedAt?: Date };

export interface BreakerJournalOptions {
  store: Pick<EventStore, 'appendToStream'>;
  /** This process, as the events name it. */
  processId: string;
  logger: Pick<Logger, 'warn' | 'error'>;
  /** Wait between attempts while the store refuses an append. */
  retryDelayMs?: number;
  /** Changes kept while the store is unreachable (at least 2); beyond it the oldest waiting are dropped, and counted in the log. */
  maxPending?: number;
  /** How long `close` waits for the store before giving up on what is left. */
  closeTimeoutMs?: number;
}

export interface BreakerJournal {
  /** Takes a change as the breaker reports it; never blocks or throws, since the breaker sits on the call path. */
  record(change: BreakerChange): void;
  /** Appends what is still pending, for at most `closeTimeoutMs`, and stops; what is left then is logged as lost. */
  close(): Promise<void>;
}

interface PendingChange {
  stream: StreamId;
  /** Built once, so a retry after an append that committed but reported an error is the same event, which the store does not write twice. */
  event: NewEvent<'CircuitBreakerStateChanged', CircuitBreakerStateChangedData>;
}

/**
 * Records every breaker transition of this process as CircuitBreakerStateChanged on
 * `breaker-<deployment>`, in the order they happened. A store that is briefly down
 * delays the events, it does not lose them.
 */
export function createBreakerJournal(options: BreakerJournalOptions): BreakerJournal {
  const retryDelayMs = options.retryDelayMs ?? 1_000;
  const maxPending = Math.max(2, options.maxPending ?? 1_000);
  const closeTimeoutMs = options.closeTimeoutMs ?? 5_000;
  const pending: PendingChange[] = [];
  const stopping = new AbortController();
  let draining: Promise<void> | undefined;
  let dropped = 0;
  let failingSince: number | undefined;
  /** The first pending change is being appended: at shutdown it may yet be written. */
  let appending = false;

  const drain = async () => {
    while (pending.length > 0 && !stopping.signal.aborted) {
      const [next] = pending;
      appending = true;
      try {
        await options.store.appendToStream(next!.stream, [next!.event], { expectedRevision: 'any' });
        pending.shift();
        failingSince = undefined;
      } catch (error) {
        if (DomainError.isInstance(error)) {
          // The event itself is refused, and would be every time: it must not hold back those behind it.
          options.logger.error({ err: error, change: next!.event.data }, 'a circuit breaker change was refused by the log and is dropped');
          pending.shift();
          continue;
        }
        // One warning per outage, not one per retry.
        if (failingSince === undefined) {
          failingSince = Date.now();
          options.logger.warn({ err: error, pending: pending.length }, 'recording circuit breaker changes failed; retrying until the log answers');
        }
        appending = false;
        await sleep(retryDelayMs, undefined, { signal: stopping.signal }).catch(() => undefined);
      } finally {
        appending = false;
      }
    }
  };

  const startDraining = () => {
    draining ??= drain().finally(() => {
      draining = undefined;
      // A change recorded while the last append was settling.
      if (pending.length > 0 && !stopping.signal.aborted) startDraining();
    });
  };

  return {
    record(change) {
      if (stopping.signal.aborted) {
        options.logger.error({ change }, 'a circuit breaker change came after shutdown began and is not recorded');
        return;
      }
      const { changedAt = new Date(), cause, ...rest } = change;
      const correlationId = newId();
      const data: CircuitBreakerStateChangedData = {
        ...rest,
        ...(cause && { cause: { ...cause, message: storableText(cause.message, MAX_CAUSE_LENGTH) } }),
        processId: options.processId,
        changedAt: changedAt.toISOString(),
      };
      pending.push({
        stream: streamId('breaker', change.deployment),
        event: { id: newId<EventId>(), type: 'CircuitBreakerStateChanged', data, metadata: { tenantId: SYSTEM_TENANT_ID, correlationId, causationId: correlationId } },
      });
      if (pending.length > maxPending) {
        // The first may be on its way to the store; the next oldest goes.
        pending.splice(1, 1);
        dropped += 1;
        options.logger.error({ dropped }, 'circuit breaker changes dropped: the log has been unreachable too long');
      }
      startDraining();
    },
    async close() {
      const waited = new AbortController();
      const deadline = sleep(closeTimeoutMs, 'timed out' as const, { signal: waited.signal }).catch(() => 'drained' as const);
      while (draining && (await Promise.race([draining.then(() => 'drained' as const), deadline])) === 'drained');
      waited.abort();
      stopping.abort();
      if (pending.length > 0) {
        const inFlight = appending ? 1 : 0;
        options.logger.error(
          { lost: pending.length - inFlight, maybeRecorded: inFlight },
          `circuit breaker changes could not be recorded within ${closeTimeoutMs} ms of shutdown`,
        );
        pending.length = 0;
      }
    },
  };
}

/** At most `length` characters, cut where PostgreSQL's jsonb takes it: no half of a surrogate pair, no NUL. */
function storableText(text: string, length: number): string {
  const cut = text.replaceAll('\u0000', '').slice(0, length);
  return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut;
}
