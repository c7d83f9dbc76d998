import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { IN_MEMORY, openBackend, type Backend } from '../../bin/composition/open-backend.js';
import { pipelineDependencies } from '../../bin/composition/pipeline-dependencies.js';
import { openConversation, startConversation } from '../../commands/conversations.js';
import { requestTurn, type RequestedTurn } from '../../commands/turns.js';
import type { RecordedEvent } from '../../domain/events/envelope.js';
import { streamId } from '../../domain/shared/stream-id.js';
import { RetryLaterError } from '../../infra/bus/port.js';
import { loadConfig } from '../../infra/config/load-config.js';
import { startFakeUpstream, type FakeUpstream } from '../../test/support/fake-upstream/index.js';
import { createCallModelHandler, planModelCall, startModelCallCommand } from './call-model-handler.js';
import { takeoverAfterMs } from '../../domain/turn/model-call-lease.js';
import { loadTurnForHandler, runTurnCommand } from './turn-pipeline-context.js';
import type { PromptBuiltData } from '../../domain/turn/events/prompt-built.js';
import { createTurnDriver } from './drive-turn.js';
import { untilRecorded } from '../../api/turns/drive-to-end.js';
import { InvalidAppendError } from '../../infra/event-store/errors.js';
import { emptyRetriever, turnPipelineHandlers, type TurnPipelineDependencies } from './index.js';

const defaults = { maxModelSteps: 4, maxToolCalls: 4, maxOutputTokens: 256, deadlineMs: 60_000 };

/**
 * The driver runs the pipeline's steps in the calling process. No bus and no worker
 * runs here: whatever the turn reaches, the driver did, and the pipeline handlers,
 * run by hand over the result, must find nothing left to do.
 */
describe('driving a turn inline', () => {
  let upstream: FakeUpstream;
  let backend: Backend;
  let dependencies: TurnPipelineDependencies;
  const tenantId = 'tenant-driver';

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    const config = loadConfig({ TESSERA_DATA_DIR: IN_MEMORY, TESSERA_MODEL_BASE_URL: upstream.url, TESSERA_CHAT_MODEL: 'fake-chat' });
    backend = await openBackend(config, pino({ level: 'silent' }));
    dependencies = await pipelineDependencies(backend, config, pino({ level: 'silent' }));
  });

  afterAll(async () => {
    await backend?.close();
    await upstream?.close();
  });

  async function newTurn(message: string, parameters?: { temperature: number }): Promise<RequestedTurn> {
    const conversationId = await startConversation(backend.store, { tenantId, correlationId: randomUUID() });
    return requestTurn(backend.store, { conversationId, tenantId, message, mode: 'chat', stream: false, source: 'api', parameters, correlationId: randomUUID() }, defaults);
  }

  /** A chat completion's turn as the OpenAI route requests it: its new conversation and TurnRequested left to the drive's first append. */
  async function completionTurn(message: string, options: { stream: boolean; recordWhenEnded?: boolean }) {
    const opened = await openConversation(backend.store, { tenantId, correlationId: randomUUID() }, { deferAppend: true });
    const turn = await requestTurn(
      backend.store,
      { conversationId: opened.conversationId, tenantId, message, mode: 'chat', stream: options.stream, source: 'openai-compatible', correlationId: randomUUID() },
      defaults,
      { conversation: opened.state, deferAppend: true, alongside: [opened.unsaved!], recordWhenEnded: options.recordWhenEnded },
    );
    return { conversationId: opened.conversationId, turn };
  }

  const turnEvents = async (turnId: string) => (await backend.store.readStream(streamId('turn', turnId))).events;
  const upstreamCallsFor = (marker: string) =>
    upstream.requests.filter((request) => request.path === '/v1/chat/completions' && JSON.stringify(request.body).includes(marker)).length;
  const signature = (events: readonly RecordedEvent[]) => events.map((event) => `${event.revision}:${event.type}:${event.id}`);

  it('takes a chat turn from TurnRequested to TurnCompleted with no bus, in two appends after the request, announcing the ending one quietly', async () => {
    const marker = randomUUID();
    const turn = await newTurn(`Answer briefly. ${marker} [[fake: reply="Driven."]]`);
    const appends = vi.spyOn(dependencies.store, 'appendToStream');
    const reached = await createTurnDriver(dependencies, emptyRetriever).drive(turn);
    const appendCount = appends.mock.calls.length;
    const announced = appends.mock.calls.map((call) => call[2]?.announce);
    appends.mockRestore();

    expect(reached.status).toBe('completed');
    // The claim promptly, for whoever would take the call over; the end quietly, since nobody else has a step to take.
    expect(announced).toEqual(['promptly', 'quietly']);
    const events = await turnEvents(turn.turnId);
    expect(events.map((event) => event.type)).toEqual([
      'TurnRequested', 'PromptBuilt', 'ModelCallStarted', 'ModelCallCompleted', 'OutputValidated', 'TurnCompleted',
    ]);
    expect(appendCount).toBe(2);
    expect(upstreamCallsFor(marker)).toBe(1);
    // Each step is caused by the event the bus would have delivered to its handler.
    const byType = new Map(events.map((event) => [event.type, event]));
    expect(byType.get('PromptBuilt')!.metadata.causationId).toBe(byType.get('TurnRequested')!.id);
    expect(byType.get('ModelCallCompleted')!.metadata.causationId).toBe(byType.get('PromptBuilt')!.id);
    expect(byType.get('TurnCompleted')!.metadata.causationId).toBe(byType.get('ModelCallCompleted')!.id);
  });

  it('records a turn nobody else can see yet in one append with its conversation, once it ended, a refused call too, nothing when the store stays down, and all once when it comes back', async () => {
    const start = (message: string) => completionTurn(message, { stream: false, recordWhenEnded: true });
    const marker = randomUUID();
    const { conversationId, turn } = await start(`Whole. ${marker} [[fake: reply="All at once."]]`);
    expect((await backend.store.readStream(streamId('conversation', conversationId))).currentRevision).toBe(-1);
    const single = vi.spyOn(dependencies.store, 'appendToStream');
    const several = vi.spyOn(dependencies.store, 'appendToStreams');
    const reached = await createTurnDriver(dependencies, emptyRetriever).drive(turn);
    const calls = [single.mock.calls.length, several.mock.calls.length];
    single.mockRestore();
    several.mockRestore();

    expect(reached.status).toBe('completed');
    expect(calls).toEqual([0, 1]);
    expect(turn.unsaved).toEqual([]);
    const events = await turnEvents(turn.turnId);
    expect(events.map((event) => event.type)).toEqual([
      'TurnRequested', 'PromptBuilt', 'ModelCallStarted', 'ModelCallCompleted', 'OutputValidated', 'TurnCompleted',
    ]);
    const conversation = (await backend.store.readStream(streamId('conversation', conversationId))).events;
    expect(conversation.map((event) => event.type)).toEqual(['ConversationStarted']);
    // One commit: the conversation and the whole turn share its transaction.
    expect(new Set([...conversation, ...events].map((event) => event.position.split(':')[0])).size).toBe(1);
    expect(upstreamCallsFor(marker)).toBe(1);

    // A refused call is an outcome: it is recorded the same way, ending in TurnFailed.
    const refused = await start(`Refused. ${randomUUID()} [[fake: status=400]]`);
    expect((await createTurnDriver(dependencies, emptyRetriever).drive(refused.turn)).status).toBe('failed');
    expect((await turnEvents(refused.turn.turnId)).map((event) => event.type)).toEqual([
      'TurnRequested', 'PromptBuilt', 'ModelCallStarted', 'ModelCallFailed', 'TurnFailed',
    ]);

    // A store that cannot take the append leaves no trace of the turn or its conversation.
    const broken = await start(`Broken. ${randomUUID()}`);
    const down = vi.spyOn(dependencies.store, 'appendToStreams').mockRejectedValue(new Error('the database is down'));
    await expect(createTurnDriver(dependencies, emptyRetriever).drive(broken.turn)).rejects.toThrow('the database is down');
    down.mockRestore();
    expect(broken.turn.unsaved).toHaveLength(1);
    expect((await backend.store.readStream(streamId('turn', broken.turn.turnId))).currentRevision).toBe(-1);

    // A connection lost once is tried again: the call already paid for is recorded, once.
    const flakyMarker = randomUUID();
    const flaky = await start(`Flaky. ${flakyMarker}`);
    const lostOnce = vi.spyOn(dependencies.store, 'appendToStreams').mockRejectedValueOnce(new Error('Connection terminated unexpectedly'));
    expect((await createTurnDriver(dependencies, emptyRetriever).drive(flaky.turn)).status).toBe('completed');
    lostOnce.mockRestore();
    expect((await turnEvents(flaky.turn.turnId)).at(-1)?.type).toBe('TurnCompleted');
    expect(upstreamCallsFor(flakyMarker)).toBe(1);
    expect((await backend.store.readStream(streamId('conversation', broken.conversationId))).currentRevision).toBe(-1);
  });

  it('sends the streamed call of a turn nobody has seen while its claim is written, and publishes no delta before the claim is durable', async () => {
    const marker = randomUUID();
    const { turn } = await completionTurn(`Stream. ${marker} [[fake: reply="one two three"]]`, { stream: true });
    const timeline: string[] = [];
    const appendToStreams = dependencies.store.appendToStreams!.bind(dependencies.store);
    const slowClaim = vi.spyOn(dependencies.store, 'appendToStreams').mockImplementation(async (appends) => {
      await new Promise((resolve) => setTimeout(resolve, 150));
      const calls = upstreamCallsFor(marker);
      const results = await appendToStreams(appends);
      timeline.push(`claim durable, upstream calls ${calls}`);
      return results;
    });
    const published: string[] = [];
    const publish = vi.spyOn(dependencies.deltas, 'publish').mockImplementation(async (delta) => {
      timeline.push(`delta ${delta.sequence}`);
      if (delta.part.type === 'text-delta') published.push(delta.part.text);
    });
    const reached = await createTurnDriver(dependencies, emptyRetriever).drive(turn);
    slowClaim.mockRestore();
    publish.mockRestore();

    expect(reached.status).toBe('completed');
    expect(timeline[0]).toBe('claim durable, upstream calls 1');
    expect(timeline.slice(1).every((entry) => entry.startsWith('delta'))).toBe(true);
    expect(timeline.length).toBeGreaterThan(1);
    expect(published.join('')).toBe('one two three');
    expect((await turnEvents(turn.turnId)).map((event) => event.type)).toEqual([
      'TurnRequested', 'PromptBuilt', 'ModelCallStarted', 'ModelCallCompleted', 'OutputValidated', 'TurnCompleted',
    ]);
  });

  it('fails a drive whose call cannot start only once its claim has landed, so the caller sees what is recorded', async () => {
    const { turn } = await completionTurn(`Held. ${randomUUID()}`, { stream: true });
    const appendToStreams = dependencies.store.appendToStreams!.bind(dependencies.store);
    const slowClaim = vi.spyOn(dependencies.store, 'appendToStreams').mockImplementation(async (appends) => {
      await new Promise((resolve) => setTimeout(resolve, 100));
      return appendToStreams(appends);
    });
    const budgetsDown = { guard: { reserve: async () => Promise.reject(new Error('the budget store is down')) }, worstCaseMicros: () => 1 };
    const driver = createTurnDriver({ ...dependencies, budgets: budgetsDown as unknown as TurnPipelineDependencies['budgets'] }, emptyRetriever);
    await expect(driver.drive(turn)).rejects.toThrow('the budget store is down');
    slowClaim.mockRestore();

    // The claim is in the log, and the drive said so: the pipeline carries the turn on after the lease.
    expect(turn.unsaved).toEqual([]);
    expect((await turnEvents(turn.turnId)).map((event) => event.type)).toEqual(['TurnRequested', 'PromptBuilt', 'ModelCallStarted']);
  });

  it('records a deferred REST turn with its first steps, claim included, and says so before the call ends', async () => {
    const conversationId = await startConversation(backend.store, { tenantId, correlationId: randomUUID() });
    const marker = randomUUID();
    const turn = await requestTurn(
      backend.store,
      { conversationId, tenantId, message: `Slow. ${marker} [[fake: reply="Late." delay=300]]`, mode: 'chat', stream: false, source: 'api', correlationId: randomUUID() },
      defaults,
      { deferAppend: true },
    );
    const reads = vi.spyOn(dependencies.store, 'readStream');
    const drive = createTurnDriver(dependencies, emptyRetriever).drive(turn);
    await untilRecorded(turn, drive);
    // The request read the conversation; the first prompt does not read it again.
    expect(reads.mock.calls.filter(([stream]) => stream.startsWith('conversation-'))).toEqual([]);
    reads.mockRestore();
    const recorded = await turnEvents(turn.turnId);
    expect(recorded.map((event) => event.type)).toEqual(['TurnRequested', 'PromptBuilt', 'ModelCallStarted']);
    expect(new Set(recorded.map((event) => event.position.split(':')[0])).size).toBe(1);
    expect((await drive).status).toBe('completed');

    // A drive that fails before its first append leaves nothing, and says so.
    const failing = await requestTurn(
      backend.store,
      { conversationId, tenantId, message: `Down. ${randomUUID()}`, mode: 'chat', stream: false, source: 'api', correlationId: randomUUID() },
      defaults,
      { deferAppend: true },
    );
    const down = vi.spyOn(dependencies.store, 'appendToStream').mockRejectedValue(new InvalidAppendError('the store refuses everything', 'events'));
    const failedDrive = createTurnDriver(dependencies, emptyRetriever).drive(failing);
    await expect(untilRecorded(failing, failedDrive)).rejects.toThrow('the store refuses everything');
    down.mockRestore();
    expect((await turnEvents(failing.turnId))).toEqual([]);
  });

  it('records a cached answer in one append, the call never going out', async () => {
    const marker = randomUUID();
    const ask = async () => {
      const turn = await newTurn(`Cached? ${marker} [[fake: reply="From the cache."]]`, { temperature: 0 });
      const appends = vi.spyOn(dependencies.store, 'appendToStream');
      const reached = await createTurnDriver(dependencies, emptyRetriever).drive(turn);
      const appendCount = appends.mock.calls.length;
      appends.mockRestore();
      return { reached, appendCount, events: await turnEvents(turn.turnId) };
    };
    const first = await ask();
    const second = await ask();
    expect(first.appendCount).toBe(2);
    expect(second.appendCount).toBe(1);
    expect(second.reached.status).toBe('completed');
    expect(second.events.map((event) => event.type)).toEqual(first.events.map((event) => event.type));
    expect(second.events.find((event) => event.type === 'ModelCallCompleted')!.data).toMatchObject({ cached: true, costMicros: 0 });
    expect(upstreamCallsFor(marker)).toBe(1);
  });

  it('caches an answer only once its completion is recorded: after a refused append the next ask calls the model again', async () => {
    const marker = randomUUID();
    const ask = async () => createTurnDriver(dependencies, emptyRetriever).drive(await newTurn(`Unrecorded? ${marker} [[fake: reply="Paid for."]]`, { temperature: 0 }));
    const append = dependencies.store.appendToStream.bind(dependencies.store);
    const refuseAnswers = vi.spyOn(dependencies.store, 'appendToStream').mockImplementation((stream, events, options) =>
      events.some((event) => event.type === 'ModelCallCompleted') ? Promise.reject(new InvalidAppendError('the store refuses the answer', 'events')) : append(stream, events, options),
    );
    await expect(ask()).rejects.toThrow('the store refuses the answer');
    refuseAnswers.mockRestore();
    expect(upstreamCallsFor(marker)).toBe(1);

    // Had the unrecorded answer been cached, this one would come from it, naming a call the log does not hold.
    const reached = await ask();
    expect(reached.status).toBe('completed');
    expect(upstreamCallsFor(marker)).toBe(2);
    const third = await ask();
    expect(third.status).toBe('completed');
    expect(upstreamCallsFor(marker)).toBe(2);
  });

  it('caches every answer a drive recorded, a repaired one\'s first included, so the same turn asked again calls nothing', async () => {
    const marker = randomUUID();
    const ask = async () => createTurnDriver(dependencies, emptyRetriever).drive(await newTurn(`Empty first. ${marker} [[fake: reply=""]]`, { temperature: 0 }));
    const first = await ask();
    expect(first.status).toBe('completed');
    // The empty answer was repaired by a second call.
    expect(upstreamCallsFor(marker)).toBe(2);
    expect((await ask()).status).toBe('completed');
    expect(upstreamCallsFor(marker)).toBe(2);
  });

  it('leaves nothing for the pipeline handlers: every step run again over the whole turn appends and calls nothing', async () => {
    const marker = randomUUID();
    const turn = await newTurn(`Once. ${marker} [[fake: reply="Only once."]]`);
    await createTurnDriver(dependencies, emptyRetriever).drive(turn);
    const before = await turnEvents(turn.turnId);

    for (const handler of turnPipelineHandlers(dependencies, emptyRetriever)) {
      for (const event of before.filter((recorded) => handler.eventTypes.includes(recorded.type))) await handler.handle(event);
    }
    expect(signature(await turnEvents(turn.turnId))).toEqual(signature(before));
    expect(upstreamCallsFor(marker)).toBe(1);
  });

  it('stops at the first conflict when a handler got to a step first, and the step is recorded once', async () => {
    const marker = randomUUID();
    const turn = await newTurn(`Race. ${marker} [[fake: reply="Raced."]]`);
    const [requested] = await turnEvents(turn.turnId);
    // The build-prompt worker wins the race for step 1 before the driver appends.
    const buildPrompt = turnPipelineHandlers(dependencies, emptyRetriever).find((handler) => handler.name === 'turn-build-prompt')!;
    await buildPrompt.handle(requested!);

    const reached = await createTurnDriver(dependencies, emptyRetriever).drive(turn);
    expect(reached.status).toBe('prompt-built');
    const events = await turnEvents(turn.turnId);
    expect(events.map((event) => event.type)).toEqual(['TurnRequested', 'PromptBuilt']);
    // The model call is the call-model worker's now; the driver made none.
    expect(upstreamCallsFor(marker)).toBe(0);
  });

  it('keeps a call-model worker off a call the driver has in flight until the lease runs out', async () => {
    const marker = randomUUID();
    const turn = await newTurn(`Slow. ${marker} [[fake: reply="Eventually." delay=600]]`);
    const driving = createTurnDriver(dependencies, emptyRetriever).drive(turn);
    await vi.waitFor(() => expect(upstreamCallsFor(marker)).toBe(1), { timeout: 5_000, interval: 5 });
    const prompt = (await turnEvents(turn.turnId)).find((event) => event.type === 'PromptBuilt')!;

    const worker = createCallModelHandler({ ...dependencies, localDrives: undefined, processId: 'another-process', modelCallLeaseMs: 60_000 });
    const refusal = await worker.handle(prompt).then(() => undefined, (error: unknown) => error);
    expect(refusal).toBeInstanceOf(RetryLaterError);
    expect((refusal as RetryLaterError).delayMs).toBeGreaterThan(55_000);
    expect(upstreamCallsFor(marker)).toBe(1);

    expect((await driving).status).toBe('completed');
    await worker.handle(prompt);
    expect(upstreamCallsFor(marker)).toBe(1);
  });

  it('lets a worker take over a call whose starter is gone once the lease and its grace have passed, recording one completion', async () => {
    const marker = randomUUID();
    const turn = await newTurn(`Orphan. ${marker} [[fake: reply="Taken over."]]`);
    const [requested] = await turnEvents(turn.turnId);
    await turnPipelineHandlers(dependencies, emptyRetriever).find((handler) => handler.name === 'turn-build-prompt')!.handle(requested!);
    const prompt = (await turnEvents(turn.turnId)).find((event) => event.type === 'PromptBuilt')!;
    // A process records the call's start and dies before calling.
    const planned = planModelCall(await loadTurnForHandler(dependencies, turn.turnId), { id: prompt.id, data: prompt.data as PromptBuiltData }, dependencies);
    if (!planned || !('call' in planned)) throw new Error('expected a model call to plan');
    await runTurnCommand(dependencies.store, prompt, 'model-call/start', startModelCallCommand(planned.call, 'dead-process'));

    const leaseMs = 300;
    const worker = createCallModelHandler({ ...dependencies, localDrives: undefined, processId: 'another-process', modelCallLeaseMs: leaseMs });
    const early = await worker.handle(prompt).then(() => undefined, (error: unknown) => error);
    expect(early).toBeInstanceOf(RetryLaterError);
    await new Promise((resolve) => setTimeout(resolve, takeoverAfterMs(leaseMs)));
    await worker.handle(prompt);
    expect(upstreamCallsFor(marker)).toBe(1);
    const types = (await turnEvents(turn.turnId)).map((event) => event.type);
    expect(types.filter((type) => type === 'ModelCallCompleted')).toHaveLength(1);
  });

  it('lets the process that started a call take it up again at once, lease or not', async () => {
    const marker = randomUUID();
    const turn = await newTurn(`Mine. ${marker} [[fake: reply="Again." delay=300]]`);
    const driving = createTurnDriver(dependencies, emptyRetriever).drive(turn);
    await vi.waitFor(() => expect(upstreamCallsFor(marker)).toBe(1), { timeout: 5_000, interval: 5 });
    const prompt = (await turnEvents(turn.turnId)).find((event) => event.type === 'PromptBuilt')!;
    // As after a crash of the drive: this process's own worker, not waiting for a drive it does not know of.
    await createCallModelHandler({ ...dependencies, localDrives: undefined, modelCallLeaseMs: 60_000 }).handle(prompt);
    expect(upstreamCallsFor(marker)).toBe(2);
    await driving;
    expect((await turnEvents(turn.turnId)).filter((event) => event.type === 'ModelCallCompleted')).toHaveLength(1);
  });

  it('makes a worker in the same process wait for the drive instead of racing it', async () => {
    const marker = randomUUID();
    const turn = await newTurn(`Local. ${marker} [[fake: reply="Waited." delay=300]]`);
    const driving = createTurnDriver(dependencies, emptyRetriever).drive(turn);
    const [requested] = await turnEvents(turn.turnId);
    const handlers = turnPipelineHandlers(dependencies, emptyRetriever);
    let handled = false;
    const handling = Promise.all(handlers.filter((handler) => handler.eventTypes.includes('TurnRequested')).map((handler) => handler.handle(requested!))).then(() => (handled = true));
    await vi.waitFor(() => expect(upstreamCallsFor(marker)).toBe(1), { timeout: 5_000, interval: 5 });
    expect(handled).toBe(false);
    await driving;
    await handling;
    expect((await turnEvents(turn.turnId)).filter((event) => event.type === 'PromptBuilt')).toHaveLength(1);
  });
});
