import { randomUUID } from 'node:crypto';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../domain/events/envelope.js';
import { streamId } from '../../domain/shared/stream-id.js';
import { countTokensApproximately } from '../../gateway/tokens/approximate-token-count.js';
import type { PipelineHandler } from '../../handlers/pipeline-handler.js';
import { createCallModelHandler } from '../../handlers/turn/call-model-handler.js';
import { emptyRetriever, turnPipelineHandlers, type TurnPipelineDependencies } from '../../handlers/turn/index.js';
import { eventSubjects, toEventMessage } from '../../infra/bus/forwarder/event-message.js';
import { startFakeUpstream, type FakeUpstream } from '../support/fake-upstream/index.js';
import { testServices } from '../support/services.js';
import { startTessera, type RunningTessera } from '../support/tessera-harness.js';
import { apiClient, poll, type ApiClient } from './tessera-api.js';

/**
 * At-least-once delivery, effectively-once effects: whatever a worker sees again after
 * a step completed (a redelivered message, a re-published event, a restarted worker
 * handling the log anew), the model is not called again and the turn gains no event.
 */
describe('redelivery after a model step completed (services profile)', () => {
  let upstream: FakeUpstream;
  let tessera: RunningTessera;
  let api: ApiClient;
  let nats: NatsConnection;
  let manager: JetStreamManager;
  let dependencies: TurnPipelineDependencies;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    tessera = await startTessera('services', { TESSERA_MODEL_BASE_URL: upstream.url, TESSERA_CHAT_MODEL: 'fake-chat' });
    api = apiClient(tessera);
    nats = await connect({ servers: testServices.natsUrl, name: 'redelivery-test' });
    manager = await jetstreamManager(nats);
    dependencies = {
      store: tessera.backend.store,
      readModels: tessera.backend.readModels,
      models: tessera.backend.models(),
      deltas: await tessera.backend.deltas(),
      countTokens: countTokensApproximately,
      logger: pino({ level: 'silent' }),
    };
  });

  afterAll(async () => {
    await nats?.drain();
    await tessera?.close();
    await upstream?.close();
  });

  /** Runs one turn to completion; its message carries a marker so its upstream calls can be counted. */
  async function completedTurn(): Promise<{ turnId: string; marker: string; events: RecordedEvent[] }> {
    const marker = randomUUID();
    const conversationId = await api.startConversation();
    const turnId = await api.sendTurn(conversationId, `Say it once. ${marker} [[fake: reply="Once."]]`);
    const turn = await api.waitForTurn(turnId);
    expect(turn.status, JSON.stringify(turn.failure)).toBe('completed');
    expect(modelCallsFor(marker)).toBe(1);
    return { turnId, marker, events: await turnEvents(turnId) };
  }

  const modelCallsFor = (marker: string) =>
    upstream.requests.filter((request) => request.path === '/v1/chat/completions' && JSON.stringify(request.body).includes(marker)).length;

  const turnEvents = async (turnId: string) => (await tessera.backend.store.readStream(streamId('turn', turnId))).events;

  const only = (events: readonly RecordedEvent[], type: string) => {
    const found = events.filter((event) => event.type === type);
    expect(found, `${type} events`).toHaveLength(1);
    return found[0]!;
  };

  /** The turn is exactly as it was: same events, same ids, one model call. */
  async function expectUnchanged(turnId: string, marker: string, before: readonly RecordedEvent[]): Promise<void> {
    const after = await turnEvents(turnId);
    expect(after.map((event) => `${event.revision}:${event.type}:${event.id}`)).toEqual(before.map((event) => `${event.revision}:${event.type}:${event.id}`));
    only(after, 'ModelCallStarted');
    only(after, 'ModelCallCompleted');
    expect(modelCallsFor(marker)).toBe(1);
  }

  /** Re-publishes events under new message ids, so the bus's duplicate window cannot drop them. */
  async function republish(events: readonly RecordedEvent[]): Promise<void> {
    const bus = await tessera.backend.bus();
    for (const event of events) {
      const message = { ...toEventMessage(event, tessera.config.natsSubjectPrefix), id: randomUUID() };
      const published = await bus.publish(message);
      expect(published.duplicate, `${event.type} re-published`).toBe(false);
    }
  }

  /** Waits until each durable consumer has received and acked everything on its subjects. */
  async function waitUntilHandled(handlers: readonly PipelineHandler[]): Promise<void> {
    const stream = tessera.config.natsStream;
    for (const handler of handlers) {
      let lastSequence = 0;
      for (const subject of eventSubjects(handler.category, handler.eventTypes, tessera.config.natsSubjectPrefix)) {
        const stored = await manager.streams.getMessage(stream, { last_by_subj: subject }).catch(() => null);
        lastSequence = Math.max(lastSequence, stored?.seq ?? 0);
      }
      await poll(
        () => manager.consumers.info(stream, handler.name),
        (info) => info.delivered.stream_seq >= lastSequence && info.num_pending === 0 && info.num_ack_pending === 0,
        15_000,
        `consumer ${handler.name} to ack up to ${lastSequence}`,
      );
    }
  }

  it('does not call the model again when PromptBuilt is re-published under a new message id', async () => {
    const { turnId, marker, events } = await completedTurn();

    await republish([only(events, 'PromptBuilt')]);
    await waitUntilHandled([createCallModelHandler(dependencies)]);

    await expectUnchanged(turnId, marker, events);
  });

  it('appends nothing and calls nothing when every event of the turn is delivered again', async () => {
    const { turnId, marker, events } = await completedTurn();

    await republish(events);
    await waitUntilHandled(turnPipelineHandlers(dependencies, emptyRetriever));

    await expectUnchanged(turnId, marker, events);
  });

  it('does not call the model again when a restarted call-model worker handles the recorded PromptBuilt', async () => {
    const { turnId, marker, events } = await completedTurn();
    const restarted = createCallModelHandler(dependencies);

    await restarted.handle(only(events, 'PromptBuilt'));
    await restarted.handle(only(events, 'PromptBuilt'));

    await expectUnchanged(turnId, marker, events);
  });

  it('appends nothing when a restarted worker runs every pipeline step over the whole turn again', async () => {
    const { turnId, marker, events } = await completedTurn();
    const restarted = turnPipelineHandlers(dependencies, emptyRetriever);

    for (const event of events) {
      for (const handler of restarted.filter((candidate) => candidate.eventTypes.includes(event.type))) await handler.handle(event);
    }

    await expectUnchanged(turnId, marker, events);
  });
});
