import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { priceTableOf } from '../../bin/composition/price-table.js';
import { startConversation } from '../../commands/conversations.js';
import { requestTurn } from '../../commands/turns.js';
import { createEventRegistry } from '../../domain/events/all-event-types.js';
import type { EmbeddingCallCompletedData } from '../../domain/embedding/embedding-events.js';
import type { NewEvent, RecordedEvent } from '../../domain/events/envelope.js';
import type { GlobalPosition } from '../../domain/events/global-position.js';
import { newId, type EventId } from '../../domain/shared/ids.js';
import { streamId } from '../../domain/shared/stream-id.js';
import { costMicrosOf as gatewayCostMicrosOf } from '../../gateway/routing/index.js';
import { sqlBackends, type SqlBackend } from '../../test/support/sql-backends.js';
import { readCheckpoint } from '../checkpoints/checkpoint-store.js';
import { catchUpProjection, migrateProjections, runProjection, type Projection } from '../index.js';
import {
  DISCOUNTED_PRICES,
  gatewayConfigWith,
  LAUNCH_PRICES,
  occurredAtOf,
  turnArbitrary,
  turnEvents,
  type GeneratedCall,
  type GeneratedTurn,
} from './cost-ledger-fixtures.js';
import { createCostLedgerProjection } from './cost-ledger.projection.js';
import { embeddingLedgerEntryOf } from './ledger-entries.js';

interface AppendedTurn extends GeneratedTurn {
  tenantId: string;
}

type LedgerLine = Record<'tenant' | 'day' | 'user' | 'feature' | 'model' | 'deployment', string> &
  Record<'calls' | 'cachedCalls' | 'inputTokens' | 'cachedInputTokens' | 'outputTokens' | 'costMicros', number>;

/**
 * The ledger as it should be, worked out from the generated calls without the
 * projection's code: prices by deployment, else the first configured deployment of the
 * call's model, else what the gateway recorded; cached calls free.
 */
function expectedLedger(turns: readonly AppendedTurn[], prices: typeof LAUNCH_PRICES): LedgerLine[] {
  const costOf = (call: GeneratedCall) => {
    if (call.cached) return 0;
    const configured =
      call.deployment === undefined
        ? call.provider === 'openai-compatible' && call.model === 'gpt-small'
          ? prices.east
          : undefined
        : call.deployment === 'retired'
          ? undefined
          : prices[call.deployment];
    return configured ? gatewayCostMicrosOf(configured, call.usage) : (call.costMicros ?? 0);
  };
  const lines = new Map<string, LedgerLine>();
  for (const turn of turns) {
    for (const call of turn.calls) {
      const key = {
        tenant: turn.tenantId,
        day: occurredAtOf(call).toISOString().slice(0, 10),
        user: turn.user ?? '',
        feature: turn.feature ?? '',
        model: call.model,
        deployment: call.deployment ?? (call.cached ? '(cache)' : '(unrouted)'),
      };
      const id = JSON.stringify(key);
      const line = lines.get(id) ?? { ...key, calls: 0, cachedCalls: 0, inputTokens: 0, cachedInputTokens: 0, outputTokens: 0, costMicros: 0 };
      line.calls += 1;
      line.cachedCalls += call.cached ? 1 : 0;
      line.inputTokens += call.usage.inputTokens;
      line.cachedInputTokens += call.usage.cachedInputTokens;
      line.outputTokens += call.usage.outputTokens;
      line.costMicros += costOf(call);
      lines.set(id, line);
    }
  }
  return sortLines([...lines.values()]);
}

async function readLedger(backend: SqlBackend, tenants: readonly string[]): Promise<LedgerLine[]> {
  if (tenants.length === 0) return [];
  const rows = await backend.db
    .selectFrom('cost_ledger')
    .select(['tenant_id', sql<string>`to_char(day, 'YYYY-MM-DD')`.as('day'), 'user_id', 'feature', 'model', 'deployment'])
    .select(['calls', 'cached_calls', 'input_tokens', 'cached_input_tokens', 'output_tokens', 'cost_micros'])
    .where('tenant_id', 'in', tenants)
    .execute();
  return sortLines(
    rows.map((row) => ({
      tenant: row.tenant_id,
      day: row.day,
      user: row.user_id,
      feature: row.feature,
      model: row.model,
      deployment: row.deployment,
      calls: Number(row.calls),
      cachedCalls: Number(row.cached_calls),
      inputTokens: Number(row.input_tokens),
      cachedInputTokens: Number(row.cached_input_tokens),
      outputTokens: Number(row.output_tokens),
      costMicros: Number(row.cost_micros),
    })),
  );
}

function sortLines(lines: LedgerLine[]): LedgerLine[] {
  const keyOf = (line: LedgerLine) => [line.tenant, line.day, line.user, line.feature, line.model, line.deployment].join('\u0000');
  return lines.sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
}

const sum = (lines: readonly LedgerLine[], field: keyof LedgerLine) => lines.reduce((total, line) => total + Number(line[field]), 0);

describe.each(Object.entries(sqlBackends))('cost ledger on %s', (_name, createBackend) => {
  let backend: SqlBackend;
  const launchLedger = createCostLedgerProjection(priceTableOf(gatewayConfigWith(LAUNCH_PRICES)));
  const appended: AppendedTurn[] = [];
  let lastPosition: GlobalPosition | undefined;

  async function append(turns: readonly GeneratedTurn[], run: string): Promise<AppendedTurn[]> {
    const written = turns.map((turn) => ({ ...turn, tenantId: `${turn.tenant}-${run}` }));
    for (const turn of written) {
      const turnId = newId();
      const result = await backend.store.appendToStream(streamId('turn', turnId), turnEvents(turnId, turn.tenantId, turn));
      lastPosition = result.position;
    }
    appended.push(...written);
    return written;
  }

  /** Catch-up stops at the readable end, which a transaction open elsewhere on the server may hold back. */
  async function catchUp(projection: Projection, batchSize: number): Promise<void> {
    for (;;) {
      await catchUpProjection(backend.db, backend.store, projection, batchSize);
      const checkpoint = await readCheckpoint(backend.db, projection.name);
      if (lastPosition === undefined || (checkpoint && checkpoint.position >= lastPosition)) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  beforeAll(async () => {
    backend = await createBackend(createEventRegistry());
    await migrateProjections(backend.db, [launchLedger]);
  });
  afterAll(() => backend.teardown());

  it('sums exactly to the usage and configured cost of the recorded calls, whatever the batch boundaries', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(turnArbitrary, { maxLength: 8 }), fc.integer({ min: 1, max: 9 }), async (turns, batchSize) => {
        const run = newId().slice(-12);
        const written = await append(turns, run);
        await catchUp(launchLedger, batchSize);
        const tenants = [...new Set(written.map((turn) => turn.tenantId))];
        const ledger = await readLedger(backend, tenants);
        const expected = expectedLedger(written, LAUNCH_PRICES);
        expect(ledger).toEqual(expected);
        const calls = written.flatMap((turn) => turn.calls);
        expect(sum(ledger, 'calls')).toBe(calls.length);
        expect(sum(ledger, 'cachedCalls')).toBe(calls.filter((call) => call.cached).length);
        expect(sum(ledger, 'inputTokens')).toBe(calls.reduce((total, call) => total + call.usage.inputTokens, 0));
        expect(sum(ledger, 'outputTokens')).toBe(calls.reduce((total, call) => total + call.usage.outputTokens, 0));
      }),
      { numRuns: 25 },
    );
    // The generated log must exercise what the ledger distinguishes for the property to mean much.
    const calls = appended.flatMap((turn) => turn.calls);
    expect(calls.some((call) => call.cached)).toBe(true);
    expect(new Set(calls.map((call) => call.deployment ?? (call.cached ? '(cache)' : '(unrouted)'))).size).toBeGreaterThanOrEqual(5);
    expect(appended.some((turn) => turn.feature === undefined) && appended.some((turn) => turn.feature !== undefined)).toBe(true);
  });

  it('charges cached calls nothing while counting them and their tokens', async () => {
    const call = { deployment: 'big', provider: 'openai-compatible', model: 'gpt-large', dayOffset: 1, millisecondOfDay: 5 } as const;
    const usage = { inputTokens: 1_000, cachedInputTokens: 0, outputTokens: 100 };
    const [turn] = await append(
      [{ tenant: 'cache', user: 'ada', feature: 'faq', calls: [{ ...call, usage, cached: false }, { ...call, usage, cached: true, costMicros: 999 }] }],
      newId().slice(-12),
    );
    await catchUp(launchLedger, 100);
    expect(await readLedger(backend, [turn!.tenantId])).toEqual([
      expect.objectContaining({ calls: 2, cachedCalls: 1, inputTokens: 2_000, outputTokens: 200, costMicros: 1_000 * 2.5 + 100 * 10 }),
    ]);
  });

  it('charges a turn requested through the RequestTurn command to the feature and user it names', async () => {
    const tenantId = `command-${newId().slice(-12)}`;
    const correlationId = newId();
    const conversationId = await startConversation(backend.store, { tenantId, correlationId });
    const { turnId } = await requestTurn(
      backend.store,
      { conversationId, tenantId, userId: 'grace', feature: 'support/summarize', message: 'Sum it up', mode: 'chat', stream: false, source: 'api', correlationId },
      { maxModelSteps: 3, maxToolCalls: 0, maxOutputTokens: 256, deadlineMs: 60_000 },
    );
    const usage = { inputTokens: 40, cachedInputTokens: 0, outputTokens: 10 };
    const call = { deployment: 'east', provider: 'openai-compatible', model: 'gpt-small', usage, cached: false, dayOffset: 0, millisecondOfDay: 0 } as const;
    const [, completed] = turnEvents(turnId, tenantId, { tenant: tenantId, calls: [call] });
    lastPosition = (await backend.store.appendToStream(streamId('turn', turnId), [completed!])).position;
    await catchUp(launchLedger, 100);
    expect(await readLedger(backend, [tenantId])).toEqual([
      expect.objectContaining({ user: 'grace', feature: 'support/summarize', deployment: 'east', calls: 1, inputTokens: 40, outputTokens: 10 }),
    ]);
  });

  it('charges embeddings calls their input tokens at their deployment\'s input price, to the user and feature they name', async () => {
    const tenantId = `embeddings-${newId().slice(-12)}`;
    const occurredAt = new Date('2026-03-02T10:00:00.000Z');
    const embedding = (deployment: string | undefined, modelId: string, inputTokens: number, extra: { feature?: string; userId?: string; costMicros?: number } = {}): NewEvent => {
      const callId = newId();
      const data: EmbeddingCallCompletedData = {
        callId,
        alias: 'embed/default',
        source: 'openai-compatible',
        inputs: 2,
        inputsDigest: 'a'.repeat(64),
        latencyMs: 3,
        dimensions: 256,
        usage: { inputTokens },
        provider: deployment === undefined ? 'local' : 'openai-compatible',
        modelId,
        ...(extra.feature !== undefined && { feature: extra.feature }),
        ...(extra.costMicros !== undefined && { costMicros: extra.costMicros }),
        ...(deployment !== undefined && { routing: { alias: 'embed/default', strategy: 'priority', candidates: [], chosen: deployment, attempts: [] } }),
      };
      return { id: newId<EventId>(), type: 'EmbeddingCallCompleted', data, metadata: { tenantId, userId: extra.userId, correlationId: callId, causationId: callId }, occurredAt };
    };
    const calls: [string, NewEvent][] = [
      ['east', embedding('east', 'gpt-small', 1_000, { feature: 'search', userId: 'ada' })],
      ['east', embedding('east', 'gpt-small', 3_000, { feature: 'search', userId: 'ada' })],
      ['retired', embedding('retired', 'gpt-old', 500, { costMicros: 77 })],
      ['local', embedding(undefined, 'local-hash', 40)],
    ];
    for (const [, event] of calls) {
      lastPosition = (await backend.store.appendToStream(streamId('embedding', (event.data as EmbeddingCallCompletedData).callId), [event], { expectedRevision: 'no_stream' })).position;
    }
    await catchUp(launchLedger, 2);
    const line = { tenant: tenantId, day: '2026-03-02', cachedCalls: 0, cachedInputTokens: 0, outputTokens: 0 };
    expect(await readLedger(backend, [tenantId])).toEqual(
      sortLines([
        { ...line, user: 'ada', feature: 'search', model: 'gpt-small', deployment: 'east', calls: 2, inputTokens: 4_000, costMicros: Math.round(4_000 * LAUNCH_PRICES.east.inputPerMillion) },
        // A deployment the table no longer knows keeps the cost recorded when the call ran.
        { ...line, user: '', feature: '', model: 'gpt-old', deployment: 'retired', calls: 1, inputTokens: 500, costMicros: 77 },
        { ...line, user: '', feature: '', model: 'local-hash', deployment: '(unrouted)', calls: 1, inputTokens: 40, costMicros: 0 },
      ]),
    );
    const [, first] = calls[0]!;
    const recorded = { ...first, streamId: streamId('embedding', 'x'), revision: 0, position: lastPosition!, occurredAt, metadata: { ...first.metadata, schemaVersion: 1 } } as RecordedEvent;
    expect(embeddingLedgerEntryOf(recorded, priceTableOf(gatewayConfigWith(DISCOUNTED_PRICES))).costMicros).toBe(Math.round(1_000 * DISCOUNTED_PRICES.east.inputPerMillion));

    // Inputs from the vector cache were never sent: a call answered whole from it is a cached call that costs nothing.
    const withCached = (cachedInputs: number, inputTokens: number) =>
      embeddingLedgerEntryOf({ ...recorded, data: { ...(recorded.data as EmbeddingCallCompletedData), cachedInputs, usage: { inputTokens } } }, priceTableOf(gatewayConfigWith(LAUNCH_PRICES)));
    expect(withCached(2, 0)).toMatchObject({ calls: 1, cachedCalls: 1, inputTokens: 0, costMicros: 0 });
    expect(withCached(1, 400)).toMatchObject({ calls: 1, cachedCalls: 0, inputTokens: 400, costMicros: Math.round(400 * LAUNCH_PRICES.east.inputPerMillion) });
  });

  it('re-prices the whole history on the next start after the price table changed', async () => {
    const [sample] = fc.sample(fc.array(turnArbitrary, { minLength: 6, maxLength: 12 }), { numRuns: 1, seed: 7 });
    await append(sample!, newId().slice(-12));
    await catchUp(launchLedger, 4);
    const discountedLedger = createCostLedgerProjection(priceTableOf(gatewayConfigWith(DISCOUNTED_PRICES)));
    expect(discountedLedger.version).not.toBe(launchLedger.version);
    const tenants = [...new Set(appended.map((turn) => turn.tenantId))];
    const before = await readLedger(backend, tenants);
    expect(sum(before, 'costMicros')).toBe(sum(expectedLedger(appended, LAUNCH_PRICES), 'costMicros'));

    const runner = runProjection(backend.db, backend.store, discountedLedger, { batchSize: 50 });
    try {
      for (;;) {
        const checkpoint = await readCheckpoint(backend.db, discountedLedger.name);
        if (checkpoint?.version === discountedLedger.version && checkpoint.position >= lastPosition!) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    } finally {
      await runner.stop();
    }
    const after = await readLedger(backend, tenants);
    expect(after).toEqual(expectedLedger(appended, DISCOUNTED_PRICES));
    expect(sum(after, 'costMicros')).toBeLessThan(sum(before, 'costMicros'));
    // Usage is history, not price: only the cost moved.
    for (const field of ['calls', 'cachedCalls', 'inputTokens', 'cachedInputTokens', 'outputTokens'] as const) {
      expect(sum(after, field)).toBe(sum(before, field));
    }
  });
});
