import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CircuitBreakerStateChangedData } from '../domain/deployment/circuit-breaker-events.js';
import { createEventRegistry } from '../domain/events/all-event-types.js';
import { streamId } from '../domain/shared/stream-id.js';
import type { EventStore } from '../infra/event-store/port.js';
import { poll } from '../test/e2e/tessera-api.js';
import { sqlBackends, type SqlBackend } from '../test/support/sql-backends.js';
import { createBreakerJournal, type BreakerChange } from './breaker-journal.js';

/** A pino logger whose lines a test can read: what the journal says about a store it cannot reach. */
function recordingLogger() {
  const lines: { level: number; msg: string; dropped?: number; lost?: number; maybeRecorded?: number }[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line) as (typeof lines)[number]) });
  const at = (level: 'warn' | 'error') => lines.filter((line) => line.level === pino.levels.values[level]);
  return Object.assign(logger, { warnings: () => at('warn'), errors: () => at('error') });
}

/**
 * The real store, and the ways it fails: refusing appends while `down` is set (a store
 * that has gone away), committing an append but losing the reply (`loseReplies`), or
 * never answering (`hang`).
 */
function interruptible(store: EventStore) {
  const state = { down: false, refused: 0, loseReplies: 0, hang: false };
  const wrapped: Pick<EventStore, 'appendToStream'> = {
    appendToStream: async (...args) => {
      if (state.hang) return new Promise<never>(() => undefined);
      if (state.down) {
        state.refused += 1;
        throw new Error('connection refused');
      }
      const result = await store.appendToStream(...args);
      if (state.loseReplies > 0) {
        state.loseReplies -= 1;
        throw new Error('connection reset after the commit');
      }
      return result;
    },
  };
  return { state, store: wrapped };
}

describe.each(['postgresql', 'pglite'] as const)('the breaker journal (%s)', (backend) => {
  let sql: SqlBackend;
  let deployments = 0;
  beforeAll(async () => {
    sql = await sqlBackends[backend](createEventRegistry());
  });
  afterAll(() => sql.teardown());

  const freshDeployment = () => `deployment-${(deployments += 1)}`;
  const changesOf = async (deployment: string) => {
    const { events } = await sql.store.readStream(streamId('breaker', deployment));
    return events.map((event) => ({ type: event.type, tenantId: event.metadata.tenantId, data: event.data as CircuitBreakerStateChangedData }));
  };

  it('records each change on breaker-<deployment>, in order, naming the process and the failure that opened it', async () => {
    const deployment = freshDeployment();
    const journal = createBreakerJournal({ store: sql.store, processId: 'host:1:abc', logger: recordingLogger() });
    const changes: BreakerChange[] = [
      { deployment, from: 'closed', to: 'open', cause: { errorKind: 'server', message: `upstream 503: ${'x'.repeat(5_000)}` } },
      { deployment, from: 'open', to: 'half-open' },
      { deployment, from: 'half-open', to: 'closed' },
    ];
    for (const change of changes) journal.record(change);
    await journal.close();

    const recorded = await changesOf(deployment);
    expect(recorded.map(({ type, tenantId }) => `${type}:${tenantId}`)).toEqual(Array(3).fill('CircuitBreakerStateChanged:system'));
    expect(recorded.map(({ data }) => `${data.from}->${data.to}`)).toEqual(['closed->open', 'open->half-open', 'half-open->closed']);
    expect(recorded[0]!.data).toMatchObject({ deployment, processId: 'host:1:abc', cause: { errorKind: 'server' } });
    // A provider's error page could be any size; the event keeps its start.
    expect(recorded[0]!.data.cause!.message).toHaveLength(1_000);
    expect(recorded[1]!.data.cause).toBeUndefined();
  });

  it('keeps changes while the store refuses them, and records them in order once it answers again', async () => {
    const deployment = freshDeployment();
    const { state, store } = interruptible(sql.store);
    const logger = recordingLogger();
    const journal = createBreakerJournal({ store, processId: 'host:2:def', logger, retryDelayMs: 20 });
    state.down = true;
    journal.record({ deployment, from: 'closed', to: 'open' });
    journal.record({ deployment, from: 'open', to: 'half-open' });
    await poll(async () => state.refused, (refused) => refused >= 3, 2_000, 'three refused appends');
    journal.record({ deployment, from: 'half-open', to: 'open' });
    expect(await changesOf(deployment)).toEqual([]);

    state.down = false;
    await poll(() => changesOf(deployment), (changes) => changes.length === 3, 2_000, 'the three changes');
    expect((await changesOf(deployment)).map(({ data }) => data.to)).toEqual(['open', 'half-open', 'open']);
    // One warning for the outage, not one per retry.
    expect(logger.warnings()).toHaveLength(1);
    expect(logger.errors()).toEqual([]);
    await journal.close();
  });

  it('drops the oldest waiting changes beyond its bound, and says so', async () => {
    const deployment = freshDeployment();
    const { state, store } = interruptible(sql.store);
    const logger = recordingLogger();
    const journal = createBreakerJournal({ store, processId: 'host:3:ghi', logger, retryDelayMs: 20, maxPending: 3 });
    state.down = true;
    const states = ['open', 'half-open', 'open', 'half-open', 'closed'] as const;
    states.forEach((to, index) => journal.record({ deployment, from: index === 0 ? 'closed' : states[index - 1]!, to }));
    state.down = false;
    await poll(() => changesOf(deployment), (changes) => changes.length === 3, 2_000, 'the changes kept');
    await journal.close();
    // The first was being appended when the store went away, so it stays; the next two make room.
    expect((await changesOf(deployment)).map(({ data }) => `${data.from}->${data.to}`)).toEqual(['closed->open', 'open->half-open', 'half-open->closed']);
    expect(logger.errors().map((line) => line.dropped)).toEqual([1, 2]);
  });

  it('writes a change once when an append committed but its reply was lost', async () => {
    const deployment = freshDeployment();
    const { state, store } = interruptible(sql.store);
    const journal = createBreakerJournal({ store, processId: 'host:4:jkl', logger: recordingLogger(), retryDelayMs: 20 });
    state.loseReplies = 1;
    journal.record({ deployment, from: 'closed', to: 'open' });
    journal.record({ deployment, from: 'open', to: 'half-open' });
    await journal.close();
    expect((await changesOf(deployment)).map(({ data }) => data.to)).toEqual(['open', 'half-open']);
  });

  it('drops a change the log refuses, so the changes behind it are still recorded', async () => {
    const deployment = freshDeployment();
    const logger = recordingLogger();
    const journal = createBreakerJournal({ store: sql.store, processId: 'host:5:mno', logger });
    journal.record({ deployment, from: 'closed', to: 'sideways' as 'open' });
    journal.record({ deployment, from: 'closed', to: 'open' });
    await journal.close();
    expect((await changesOf(deployment)).map(({ data }) => data.to)).toEqual(['open']);
    expect(logger.errors()).toHaveLength(1);
  });

  it('gives up on close after its timeout, logging what it could not record, even when the store never answers', async () => {
    const deployment = freshDeployment();
    const { state, store } = interruptible(sql.store);
    const logger = recordingLogger();
    const journal = createBreakerJournal({ store, processId: 'host:6:pqr', logger, retryDelayMs: 20, closeTimeoutMs: 100 });
    state.hang = true;
    journal.record({ deployment, from: 'closed', to: 'open' });
    journal.record({ deployment, from: 'open', to: 'half-open' });
    const started = Date.now();
    await journal.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    // The first was on its way to the store, which may yet write it.
    expect(logger.errors().map((line) => [line.lost, line.maybeRecorded])).toEqual([[1, 1]]);
    journal.record({ deployment, from: 'half-open', to: 'closed' });
    expect(logger.errors()).toHaveLength(2);
    state.hang = false;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await changesOf(deployment)).toEqual([]);
  });
});
