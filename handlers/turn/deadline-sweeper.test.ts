import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProjections } from '../../bin/commands/run-projections.js';
import { IN_MEMORY, openBackend, type Backend } from '../../bin/composition/open-backend.js';
import { pipelineDependencies } from '../../bin/composition/pipeline-dependencies.js';
import { startConversation } from '../../commands/conversations.js';
import { requestTurn, type RequestedTurn } from '../../commands/turns.js';
import type { RecordedEvent } from '../../domain/events/envelope.js';
import { streamId } from '../../domain/shared/stream-id.js';
import { loadConfig } from '../../infra/config/load-config.js';
import type { Config } from '../../infra/config/settings.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres-database.js';
import { poll } from '../../test/e2e/tessera-api.js';
import { testServices } from '../../test/support/services.js';
import { deleteNatsStreams } from '../../test/support/tessera-harness.js';
import { startDeadlineSweeper } from './deadline-sweeper.js';
import { createTurnDriver } from './drive-turn.js';
import { emptyRetriever } from './index.js';

const limits = { maxModelSteps: 4, maxToolCalls: 4, maxOutputTokens: 256 };
/** Long enough for the local model to finish a driven turn on a slow machine, short enough to wait out. */
const SHORT_DEADLINE_MS = 1_500;
/** The sweeper in production ticks every 5 s; the tests tick fast so they need not wait for it. */
const SWEEP_EVERY_MS = 40;

/**
 * The sweeper reads overdue turns from the `turns` read model and ends them through the
 * turn decider. It runs here on a real backend (PGlite, or a fresh PostgreSQL database)
 * with the real projections keeping that read model, as `tessera worker` runs it.
 */
describe.each(['embedded', 'services'] as const)('the turn deadline sweeper (%s profile)', (profile) => {
  let database: TestDatabase | undefined;
  let config: Config;
  let backend: Backend;
  let stopProjections: () => Promise<void>;
  const tenantId = `tenant-deadlines-${randomUUID().slice(0, 8)}`;
  const logger = pino({ level: 'silent' });

  beforeAll(async () => {
    database = profile === 'services' ? await createTestDatabase() : undefined;
    const suffix = randomUUID().replaceAll('-', '').slice(-12);
    config = loadConfig({
      TESSERA_PROFILE: profile,
      TESSERA_DATA_DIR: IN_MEMORY,
      TESSERA_PROJECTION_LINGER_MS: '0',
      // The driven control turn must not leave answers in the shared Redis.
      TESSERA_CACHE_ENABLED: 'false',
      ...(database && {
        TESSERA_DATABASE_URL: database.url,
        TESSERA_NATS_URL: testServices.natsUrl,
        TESSERA_NATS_STREAM: `TEST_DEADLINES_${suffix.toUpperCase()}`,
        TESSERA_NATS_SUBJECT_PREFIX: `test${suffix}.events`,
      }),
    });
    backend = await openBackend(config, logger);
    stopProjections = runProjections(backend, config, logger);
  });

  afterAll(async () => {
    await stopProjections?.();
    await backend?.close();
    await database?.drop();
    if (database) await deleteNatsStreams(config.natsStream);
  });

  async function newTurn(deadlineMs: number): Promise<RequestedTurn> {
    const conversationId = await startConversation(backend.store, { tenantId, correlationId: randomUUID() });
    return requestTurn(
      backend.store,
      { conversationId, tenantId, message: 'What is the refund window?', mode: 'chat', stream: false, source: 'api', correlationId: randomUUID() },
      { ...limits, deadlineMs },
    );
  }

  const turnEvents = async (turnId: string): Promise<RecordedEvent[]> => (await backend.store.readStream(streamId('turn', turnId))).events;
  const typesOf = (events: readonly RecordedEvent[]) => events.map((event) => event.type);

  /** The sweeper sees only what the projection has put in the read model. */
  async function untilProjected(turnIds: readonly string[]): Promise<void> {
    await poll(
      async () => (await backend.readModels.selectFrom('turns').select('turn_id').where('turn_id', 'in', turnIds).execute()).length,
      (count) => count === turnIds.length,
      15_000,
      `turns ${turnIds.join(', ')} to be projected`,
    );
  }

  async function untilPast(turn: RequestedTurn): Promise<void> {
    const deadline = Date.parse((turn.requested.data as { deadline: string }).deadline);
    await sleep(Math.max(0, deadline - Date.now() + 50));
  }

  it('ends a turn stuck past its deadline with TurnFailed (deadline-exceeded), and leaves alone a turn that completed in time and a stuck one still within its deadline', async () => {
    const stuck = await newTurn(SHORT_DEADLINE_MS);
    const completed = await newTurn(SHORT_DEADLINE_MS);
    const reached = await createTurnDriver(await pipelineDependencies(backend, config, logger), emptyRetriever).drive(completed);
    // A precondition, not the behaviour under test: the control turn really did end in time.
    expect(reached.status).toBe('completed');
    const waiting = await newTurn(60_000);
    await untilProjected([stuck.turnId, completed.turnId, waiting.turnId]);
    await untilPast(completed);
    const completedBefore = await turnEvents(completed.turnId);

    // What each sweep found overdue, as the sweeper reports it: the decider would refuse to end the other
    // two turns anyway, so only this shows the sweep itself did not pick them.
    const sweeps: number[] = [];
    const reporting = pino({ level: 'info' }, { write: (line: string) => void sweeps.push(...expiredCounts(line)) });
    const stop = startDeadlineSweeper(backend.store, backend.readModels, reporting, SWEEP_EVERY_MS);
    try {
      await poll(() => turnEvents(stuck.turnId), (events) => events.some((event) => event.type === 'TurnFailed'), 15_000, 'the stuck turn to fail');
      // Further sweeps, now that every short deadline has long passed, must still touch nothing else.
      await sleep(SWEEP_EVERY_MS * 5);
    } finally {
      await stop();
    }

    const stuckEvents = await turnEvents(stuck.turnId);
    expect(typesOf(stuckEvents)).toEqual(['TurnRequested', 'TurnFailed']);
    const failed = stuckEvents[1]!;
    expect(failed.data).toMatchObject({ reason: 'deadline-exceeded' });
    expect((failed.data as { message: string }).message).toContain((stuck.requested.data as { deadline: string }).deadline);
    // Recorded for the turn's tenant, so the tenant's views and ledgers see it.
    expect(failed.metadata.tenantId).toBe(tenantId);

    expect(await turnEvents(completed.turnId)).toEqual(completedBefore);
    expect(typesOf(completedBefore).at(-1)).toBe('TurnCompleted');
    expect(typesOf(await turnEvents(waiting.turnId))).toEqual(['TurnRequested']);
    // Swept again until the read model showed the failure, but never with more than the one overdue turn.
    expect(sweeps.length).toBeGreaterThan(0);
    expect(new Set(sweeps)).toEqual(new Set([1]));

    // The read model follows, so the next sweep no longer finds the turn overdue.
    const rows = await poll(
      () => backend.readModels.selectFrom('turns').select(['turn_id', 'status', 'failure_reason']).where('turn_id', 'in', [stuck.turnId, completed.turnId, waiting.turnId]).execute(),
      (current) => current.find((row) => row.turn_id === stuck.turnId)?.status === 'failed',
      15_000,
      'the failure to be projected',
    );
    const byId = new Map(rows.map((row) => [row.turn_id, row]));
    expect(byId.get(stuck.turnId)).toMatchObject({ status: 'failed', failure_reason: 'deadline-exceeded' });
    expect(byId.get(completed.turnId)).toMatchObject({ status: 'completed', failure_reason: null });
    expect(byId.get(waiting.turnId)).toMatchObject({ status: 'requested', failure_reason: null });
  });

  it('ends an overdue turn exactly once when several sweepers race over it', async () => {
    const stuck = await newTurn(SHORT_DEADLINE_MS);
    await untilProjected([stuck.turnId]);
    await untilPast(stuck);

    // As several `tessera worker` processes would: each sweeps on its own timer.
    const stops = [0, 1, 2].map(() => startDeadlineSweeper(backend.store, backend.readModels, logger, SWEEP_EVERY_MS / 2));
    try {
      await poll(() => turnEvents(stuck.turnId), (events) => events.some((event) => event.type === 'TurnFailed'), 15_000, 'the stuck turn to fail');
      // Until the projection catches up every sweeper still finds the turn overdue and tries again.
      await poll(
        () => backend.readModels.selectFrom('turns').select('status').where('turn_id', '=', stuck.turnId).executeTakeFirst(),
        (row) => row?.status === 'failed',
        15_000,
        'the failure to be projected',
      );
      await sleep(SWEEP_EVERY_MS * 3);
    } finally {
      await Promise.all(stops.map((stop) => stop()));
    }

    expect(typesOf(await turnEvents(stuck.turnId))).toEqual(['TurnRequested', 'TurnFailed']);
  });
});

function expiredCounts(line: string): number[] {
  const entry = JSON.parse(line) as { msg?: string; expired?: number };
  return entry.msg === 'turns past their deadline ended' && entry.expired !== undefined ? [entry.expired] : [];
}
