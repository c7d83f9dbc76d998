import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CircuitBreakerStateChangedData } from '../domain/deployment/circuit-breaker-events.js';
import { createEventRegistry } from '../domain/events/all-event-types.js';
import { streamId } from '../domain/shared/stream-id.js';
import type { EventStore } from '../infra/event-store/port.js';
import { sqlBackends, type SqlBackend } from '../test/support/sql-backends.js';
import { createBreakerJournal, type BreakerChange } from './breaker-journal.js';

/** A pino logger whose lines a test can read: what the journal says about a store it cannot reach. */
function recordingLogger() {
  const lines: { level: number; msg: string; dropped?: number; lost?: number }[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line) as (typeof lines)[number]) });
  const at = (level: 'warn' | 'error') => lines.filter((line) => line.level === pino.levels.values[level]);
  return Object.assign(logger, { warnings: () => at('warn'), errors: () => at('error') });
}

/** The real store, refusing appends while `down` is set, as a store that has gone away does. */
function interruptible(store: EventStore) {
  const state = { down: false, refused: 0 };
  const wrapped: Pick<EventStore, 'appendToStream'> = {
    appendToStream: (...args) => {
      if (!state.down) return store.appendToStream(...args);
      state.refused += 1;
      return Promise.reject(new Error('connection refused'));
    },
  };
  return { state, store: wrapped };
}

const until = async (check: () => boolean | Promise<boolean>, what: string) => {
  for (let tries = 0; tries < 200; tries += 1) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
};

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
    await until(() => state.refused >= 3, 'three refused appends');
    journal.record({ deployment, from: 'half-open', to: 'open' });
    expect(await changesOf(deployment)).toEqual([]);

    state.down = false;
    await until(async () => (await changesOf(deployment)).length === 3, 'the three changes');
    expect((await changesOf(deployment)).map(({ data }) => data.to)).toEqual(['open', 'half-open', 'open']);
    expect(logger.warnings().length).toBeGreaterThanOrEqual(3);
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
    await until(async () => (await changesOf(deployment)).length === 3, 'the changes kept');
    await journal.close();
    // The first was being appended when the store went away, so it stays; the next two make room.
    expect((await changesOf(deployment)).map(({ data }) => `${data.from}->${data.to}`)).toEqual(['closed->open', 'open->half-open', 'half-open->closed']);
    expect(logger.errors().map((line) => line.dropped)).toEqual([1, 2]);
  });

  it('stops on close after one more try, logging what it could not record instead of waiting on the store', async () => {
    const deployment = freshDeployment();
    const { state, store } = interruptible(sql.store);
    const logger = recordingLogger();
    const journal = createBreakerJournal({ store, processId: 'host:4:jkl', logger, retryDelayMs: 20 });
    state.down = true;
    journal.record({ deployment, from: 'closed', to: 'open' });
    journal.record({ deployment, from: 'open', to: 'half-open' });
    await until(() => state.refused >= 1, 'a refused append');
    await journal.close();
    expect(logger.errors().map((line) => line.lost)).toEqual([2]);
    journal.record({ deployment, from: 'half-open', to: 'closed' });
    state.down = false;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await changesOf(deployment)).toEqual([]);
  });
});
