import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IN_MEMORY, openBackend, type Backend } from '../../bin/composition/open-backend.js';
import { pipelineDependencies } from '../../bin/composition/pipeline-dependencies.js';
import { handleCommand } from '../../commands/handle-command.js';
import { startConversation } from '../../commands/conversations.js';
import { requestTurn } from '../../commands/turns.js';
import { conversationDecider } from '../../domain/conversation/conversation-decider.js';
import type { RecordedEvent } from '../../domain/events/envelope.js';
import { START_POSITION } from '../../domain/events/global-position.js';
import { streamId } from '../../domain/shared/stream-id.js';
import { createTurnDriver } from '../../handlers/turn/drive-turn.js';
import { emptyRetriever } from '../../handlers/turn/index.js';
import { loadConfig } from '../../infra/config/load-config.js';
import { createPgliteKysely } from '../../infra/sql/kysely.js';
import { openPglite } from '../../infra/sql/pglite.js';
import { migrateProjections } from '../migrate-projections.js';
import type { ReadModelDatabase, ReadModels } from '../read-model-database.js';
import { conversationsProjection } from './conversations.projection.js';

const defaults = { maxModelSteps: 4, maxToolCalls: 4, maxOutputTokens: 128, deadlineMs: 60_000 };

/**
 * The projection folds each batch into a few set-based writes. Whatever the batches
 * (one event each, or any split of the log), the tables must come out the same.
 */
describe('the conversations projection, batch by batch', () => {
  let backend: Backend;
  let log: RecordedEvent[];

  beforeAll(async () => {
    // A real log: conversations with completed and failed turns, renamed and archived, from the real pipeline steps.
    const config = loadConfig({ TESSERA_DATA_DIR: IN_MEMORY });
    backend = await openBackend(config, pino({ level: 'silent' }));
    const driver = createTurnDriver(await pipelineDependencies(backend, config, pino({ level: 'silent' })), emptyRetriever);
    for (let conversation = 0; conversation < 4; conversation += 1) {
      const tenantId = `tenant-${conversation % 2}`;
      const conversationId = await startConversation(backend.store, { tenantId, userId: `user-${conversation}`, correlationId: randomUUID() });
      for (let turn = 0; turn < 3; turn += 1) {
        const model = turn === 2 && conversation === 1 ? 'chat/missing' : undefined;
        const requested = await requestTurn(
          backend.store,
          { conversationId, tenantId, message: `question ${conversation}.${turn}`, mode: 'chat', stream: false, source: 'api', model, correlationId: randomUUID() },
          defaults,
        );
        await driver.drive(requested);
      }
      if (conversation === 2) {
        await handleCommand(backend.store, streamId('conversation', conversationId), conversationDecider, { type: 'RenameConversation', data: { title: 'Renamed', now: new Date() } }, { metadata: { tenantId, correlationId: randomUUID(), causationId: randomUUID() } });
      }
      if (conversation === 3) {
        await handleCommand(backend.store, streamId('conversation', conversationId), conversationDecider, { type: 'ArchiveConversation', data: { reason: 'done', now: new Date() } }, { metadata: { tenantId, correlationId: randomUUID(), causationId: randomUUID() } });
      }
    }
    log = (await backend.store.readAll({ after: START_POSITION, maxCount: 10_000 })).events;
  });
  afterAll(async () => {
    await backend?.close();
  });

  let db: ReadModels;
  beforeAll(async () => {
    db = createPgliteKysely<ReadModelDatabase>(await openPglite());
    await migrateProjections(db, [conversationsProjection]);
  });
  afterAll(async () => {
    await db?.destroy();
  });

  async function project(batchSizes: readonly number[]): Promise<unknown> {
    for (const table of conversationsProjection.tables) await db.deleteFrom(table).execute();
    let offset = 0;
    for (let index = 0; offset < log.length; index += 1) {
      const size = batchSizes[index % batchSizes.length]!;
      await db.transaction().execute((transaction) => conversationsProjection.apply(transaction, log.slice(offset, offset + size)));
      offset += size;
    }
    return {
      conversations: await db.selectFrom('conversations').selectAll().orderBy('conversation_id').execute(),
      turns: await db.selectFrom('turns').selectAll().orderBy('turn_id').execute(),
      messages: await db.selectFrom('conversation_messages').selectAll().orderBy('turn_id').orderBy('part').execute(),
    };
  }

  it('records what the log says: statuses, usage, messages and the whole timeline of each turn', async () => {
    const tables = (await project([log.length])) as { conversations: { title: string | null; status: string; turn_count: number; input_tokens: string; updated_at: Date }[]; turns: { status: string; timeline: unknown[]; failure_reason: string | null; input_tokens: string }[]; messages: unknown[] };
    const turnEvents = log.filter((event) => event.streamId.startsWith('turn-'));
    expect(tables.turns).toHaveLength(12);
    expect(tables.turns.filter((turn) => turn.status === 'completed')).toHaveLength(11);
    expect(tables.turns.filter((turn) => turn.status === 'failed').map((turn) => turn.failure_reason)).toEqual(['model-call-failed']);
    expect(tables.turns.reduce((sum, turn) => sum + turn.timeline.length, 0)).toBe(turnEvents.length);
    expect(tables.messages).toHaveLength(24);
    expect(tables.conversations.map((conversation) => conversation.turn_count)).toEqual([3, 3, 3, 3]);
    expect(tables.conversations.filter((conversation) => conversation.title === 'Renamed')).toHaveLength(1);
    expect(tables.conversations.filter((conversation) => conversation.status === 'archived')).toHaveLength(1);
    const usage = log.filter((event) => event.type === 'ModelCallCompleted').reduce((sum, event) => sum + (event.data as { usage: { inputTokens: number } }).usage.inputTokens, 0);
    expect(usage).toBeGreaterThan(0);
    expect(tables.conversations.reduce((sum, conversation) => sum + Number(conversation.input_tokens), 0)).toBe(usage);
    expect(tables.turns.reduce((sum, turn) => sum + Number(turn.input_tokens), 0)).toBe(usage);
    const lastActivity = new Date(Math.max(...log.map((event) => event.occurredAt.getTime())));
    expect(Math.max(...tables.conversations.map((conversation) => conversation.updated_at.getTime()))).toBeLessThanOrEqual(lastActivity.getTime());
  });

  it('gives the same tables for any split of the log into batches as for one event at a time', async () => {
    const oneByOne = await project([1]);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 6 }), async (sizes) => {
        expect(await project(sizes)).toEqual(oneByOne);
      }),
      { numRuns: 20 },
    );
  });
});
