import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../support/fake-upstream/index.js';
import { collectSseFrames, readSseFrames, type SseFrame } from '../support/sse-client.js';
import { startTessera, type HarnessProfile, type RunningTessera } from '../support/tessera-harness.js';
import { apiClient, expectProblem, poll, type ApiClient } from './tessera-api.js';

const PIPELINE = ['TurnRequested', 'PromptBuilt', 'ModelCallStarted', 'ModelCallCompleted', 'OutputValidated', 'TurnCompleted'];
/** The fake upstream pauses this long between stream chunks, so a client can leave mid-answer. */
const CHUNK_DELAY_MS = 25;
const WORDS = 'Event sourcing keeps every change as an immutable fact so that any state can be rebuilt by replaying the log from the start';
const DELTA_TYPES = new Set(['text-delta', 'tool-call-start', 'tool-call-delta']);

interface EventFrameData {
  type: string;
  revision: number;
  data: Record<string, unknown>;
}

interface Cursor {
  revision: number;
  sequence: number;
}

function cursorOf(frame: SseFrame): Cursor {
  const match = /^(-1|\d+)\.(\d+)$/.exec(frame.id ?? '');
  if (!match) throw new Error(`frame ${frame.event} has no cursor id: ${String(frame.id)}`);
  return { revision: Number(match[1]), sequence: Number(match[2]) };
}

const isDelta = (frame: SseFrame) => DELTA_TYPES.has(frame.event);

/** What a frame is, independent of the connection that carried it: an event by revision, a delta by sequence. */
function identity(frame: SseFrame): string {
  const cursor = cursorOf(frame);
  return isDelta(frame) ? `${frame.event}#${cursor.sequence}:${frame.data}` : `${frame.event}@${cursor.revision}`;
}

function answerOf(frames: readonly SseFrame[]): string {
  const completed = frames.find((frame) => frame.event === 'TurnCompleted');
  if (!completed) throw new Error(`no TurnCompleted among ${frames.map((frame) => frame.event).join(', ')}`);
  return (JSON.parse(completed.data) as EventFrameData).data.answer as string;
}

const deltaText = (frames: readonly SseFrame[]) =>
  frames
    .filter((frame) => frame.event === 'text-delta')
    .map((frame) => (JSON.parse(frame.data) as { text: string }).text)
    .join('');

/** Every id names a later point than the one before it: both parts rise, never both stay. */
function expectRisingCursors(frames: readonly SseFrame[]): void {
  frames.slice(1).forEach((frame, index) => {
    const before = cursorOf(frames[index]!);
    const after = cursorOf(frame);
    expect(after.revision, `${frames[index]!.id} → ${frame.id}`).toBeGreaterThanOrEqual(before.revision);
    expect(after.sequence, `${frames[index]!.id} → ${frame.id}`).toBeGreaterThanOrEqual(before.sequence);
    expect(after.revision + after.sequence, `${frames[index]!.id} → ${frame.id}`).toBeGreaterThan(before.revision + before.sequence);
  });
}

function openStream(tessera: RunningTessera, turnId: string, lastEventId?: string): Promise<Response> {
  return fetch(`${tessera.url}/v1/turns/${turnId}/stream`, {
    headers: { authorization: `Bearer ${tessera.tenant.key}`, ...(lastEventId !== undefined && { 'last-event-id': lastEventId }) },
  });
}

async function postStreamingTurn(tessera: RunningTessera, conversationId: string, message: string): Promise<Response> {
  return fetch(`${tessera.url}/v1/conversations/${conversationId}/turns`, {
    method: 'POST',
    headers: { authorization: `Bearer ${tessera.tenant.key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ message, stream: true }),
  });
}

/** Reads at most `count` frames of a stream, then hangs up. */
async function readFrames(response: Response, count: number): Promise<SseFrame[]> {
  const frames: SseFrame[] = [];
  for await (const frame of readSseFrames(response.body!)) {
    frames.push(frame);
    if (frames.length >= count) break;
  }
  return frames;
}

/** Sends a streaming turn and checks what every client may rely on; returns the frames with their arrival times. */
async function expectStreamedAnswer(tessera: RunningTessera, api: ApiClient, reply: string): Promise<{ frames: SseFrame[]; arrivals: number[] }> {
  const conversationId = await api.startConversation();
  const response = await postStreamingTurn(tessera, conversationId, `Explain. [[fake: reply="${reply}"]]`);

  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const frames: SseFrame[] = [];
  const arrivals: number[] = [];
  // The loop ends only when the server ends the response.
  for await (const frame of readSseFrames(response.body!)) {
    frames.push(frame);
    arrivals.push(performance.now());
  }

  expect(frames.filter((frame) => !isDelta(frame)).map((frame) => frame.event)).toEqual(PIPELINE);
  expect(frames.at(-1)?.event).toBe('TurnCompleted');
  expect(answerOf(frames)).toBe(reply);
  expect(frames.filter((frame) => frame.event === 'text-delta').length).toBe(reply.split(' ').length);
  expect(deltaText(frames)).toBe(reply);
  expect(new Set(frames.map((frame) => frame.id)).size).toBe(frames.length);
  expectRisingCursors(frames);
  return { frames, arrivals };
}

describe('streaming a turn over SSE (embedded profile)', () => {
  let upstream: FakeUpstream;
  let tessera: RunningTessera;
  let api: ApiClient;

  beforeAll(async () => {
    upstream = await startFakeUpstream({ chunkDelayMs: CHUNK_DELAY_MS });
    tessera = await startTessera('embedded', { TESSERA_MODEL_BASE_URL: upstream.url, TESSERA_CHAT_MODEL: 'fake-chat' });
    api = apiClient(tessera);
  });

  afterAll(async () => {
    await tessera?.close();
    await upstream?.close();
  });

  it('answers stream: true with text/event-stream whose text deltas spell the answer and which ends after TurnCompleted', async () => {
    const { frames, arrivals } = await expectStreamedAnswer(tessera, api, WORDS);

    // The deltas arrive as the model produces them, not all at once at the end.
    const events = frames.map((frame) => frame.event);
    const firstDelta = events.indexOf('text-delta');
    const lastDelta = events.lastIndexOf('text-delta');
    expect(arrivals[lastDelta]! - arrivals[firstDelta]!).toBeGreaterThan((WORDS.split(' ').length - 2) * CHUNK_DELAY_MS * 0.5);
    expect(lastDelta).toBeLessThan(events.indexOf('ModelCallCompleted'));
    const completed = JSON.parse(frames.find((frame) => frame.event === 'ModelCallCompleted')!.data) as EventFrameData;
    expect(completed.data.text).toBe(WORDS);
  });

  it('resumes from Last-Event-ID mid-answer: hanging up every 3 frames loses and repeats nothing', async () => {
    const conversationId = await api.startConversation();
    const turnId = await api.sendTurn(conversationId, `Tell me. [[fake: reply="${WORDS}"]]`);
    const fullRead = openStream(tessera, turnId).then((response) => collectSseFrames(response.body!));

    const connections: SseFrame[][] = [];
    let lastEventId: string | undefined;
    while (!connections.flat().some((frame) => frame.event === 'TurnCompleted')) {
      expect(connections.length, 'reconnections').toBeLessThan(100);
      const response = await openStream(tessera, turnId, lastEventId);
      expect(response.status).toBe(200);
      const frames = await readFrames(response, 3);
      connections.push(frames);
      lastEventId = frames.at(-1)?.id ?? lastEventId;
    }
    const full = await fullRead;
    const resumed = connections.flat();

    // Several connections resumed while the model was still streaming the answer.
    expect(connections.slice(1).filter((frames) => frames.some(isDelta)).length).toBeGreaterThan(3);
    expect(resumed.map(identity)).toHaveLength(new Set(resumed.map(identity)).size);
    expect([...resumed.map(identity)].sort()).toEqual([...full.map(identity)].sort());
    expectRisingCursors(resumed);
    expect(resumed.at(-1)?.id).toBe(full.at(-1)?.id);
    expect(deltaText(resumed)).toBe(WORDS);
  });

  it('resumes with the deltas a client missed when it comes back after the turn completed', async () => {
    const conversationId = await api.startConversation();
    const turnId = await api.sendTurn(conversationId, `Once more. [[fake: reply="${WORDS}"]]`);
    const fullRead = openStream(tessera, turnId).then((response) => collectSseFrames(response.body!));

    const beforeLeaving = await readFrames(await openStream(tessera, turnId), 6);
    expect(beforeLeaving.filter(isDelta).length, 'left mid-answer').toBeGreaterThan(0);
    await api.waitForTurn(turnId);
    const response = await openStream(tessera, turnId, beforeLeaving.at(-1)!.id);
    const afterReturning = await collectSseFrames(response.body!);
    const full = await fullRead;
    const resumed = [...beforeLeaving, ...afterReturning];

    expect(resumed.map(identity)).toHaveLength(new Set(resumed.map(identity)).size);
    expect([...resumed.map(identity)].sort()).toEqual([...full.map(identity)].sort());
    expect(deltaText(resumed)).toBe(WORDS);
  });

  it('replays a finished turn from any Last-Event-ID with exactly the events after it', async () => {
    const conversationId = await api.startConversation();
    const turnId = await api.sendTurn(conversationId, 'Short. [[fake: reply="Yes."]]');
    await api.waitForTurn(turnId);
    const full = await collectSseFrames((await openStream(tessera, turnId)).body!);
    // Retained deltas come before the end, as they would have live.
    expect(full.filter((frame) => !isDelta(frame)).map((frame) => frame.event)).toEqual(PIPELINE);
    expect(deltaText(full)).toBe('Yes.');

    for (let seen = 1; seen < full.length; seen += 1) {
      const rest = await collectSseFrames((await openStream(tessera, turnId, full[seen - 1]!.id)).body!);
      expect(rest.map((frame) => frame.id)).toEqual(full.slice(seen).map((frame) => frame.id));
      expect(rest.map((frame) => frame.event)).toEqual(full.slice(seen).map((frame) => frame.event));
    }
  });

  it('ends with the turn\'s end though feedback came after it, and tells a client that has the end to stop reconnecting (204)', async () => {
    const conversationId = await api.startConversation();
    const turnId = await api.sendTurn(conversationId, 'Rate me. [[fake: reply="Rated."]]');
    await api.waitForTurn(turnId);
    expect((await api.request('POST', `/v1/turns/${turnId}/feedback`, { body: { rating: 'down' } })).status).toBe(202);

    const full = await collectSseFrames((await openStream(tessera, turnId)).body!);
    expect(full.filter((frame) => !isDelta(frame)).map((frame) => frame.event)).toEqual(PIPELINE);
    expect(deltaText(full)).toBe('Rated.');

    const atTheEnd = await openStream(tessera, turnId, full.at(-1)!.id);
    expect(atTheEnd.status).toBe(204);
    expect(await atTheEnd.text()).toBe('');
    // Past every event the turn has (another turn's id, say) is no place to resume from.
    const beyond = await api.request('GET', `/v1/turns/${turnId}/stream`, { headers: { 'last-event-id': '99.0' } });
    expectProblem(beyond, 400, undefined, 'headers.last-event-id');
  });

  it.each(['garbage', '1', '1.2.3', '-2.0', 'a.b', '1.-1', '1.x', '9'.repeat(41)])(
    'refuses Last-Event-ID %j with a 400 problem naming headers.last-event-id',
    async (lastEventId) => {
      const conversationId = await api.startConversation();
      const turnId = await api.sendTurn(conversationId, 'Bad cursor. [[fake: reply="Ok."]]');

      const response = await api.request('GET', `/v1/turns/${turnId}/stream`, { headers: { 'last-event-id': lastEventId } });

      expectProblem(response, 400, undefined, 'headers.last-event-id');
    },
  );
});

describe('streaming a turn over SSE (services profile)', () => {
  let upstream: FakeUpstream;
  let tessera: RunningTessera;
  let api: ApiClient;

  beforeAll(async () => {
    upstream = await startFakeUpstream({ chunkDelayMs: CHUNK_DELAY_MS });
    tessera = await startTessera('services' satisfies HarnessProfile, { TESSERA_MODEL_BASE_URL: upstream.url, TESSERA_CHAT_MODEL: 'fake-chat' });
    api = apiClient(tessera);
  });

  afterAll(async () => {
    await tessera?.close();
    await upstream?.close();
  });

  it('answers stream: true with text deltas (through NATS) that spell the answer, ending after TurnCompleted', async () => {
    await expectStreamedAnswer(tessera, api, WORDS);
  });

  it('serves a client that reconnects mid-answer the deltas it missed, once each', async () => {
    const conversationId = await api.startConversation();
    const turnId = await api.sendTurn(conversationId, `Again. [[fake: reply="${WORDS}"]]`);

    await poll(
      async () => (await api.request<{ timeline: { type: string }[] }>('GET', `/v1/turns/${turnId}`)).body.timeline,
      (timeline) => timeline.some((entry) => entry.type === 'ModelCallStarted'),
      10_000,
      'the model call to start',
    );
    // TurnRequested, PromptBuilt, ModelCallStarted and the first two deltas.
    const beforeLeaving = await readFrames(await openStream(tessera, turnId), 5);
    expect(beforeLeaving.filter(isDelta).length, 'left mid-answer').toBeGreaterThan(0);
    const afterReturning = await collectSseFrames((await openStream(tessera, turnId, beforeLeaving.at(-1)!.id)).body!);
    const resumed = [...beforeLeaving, ...afterReturning];

    expect(resumed.map(identity)).toHaveLength(new Set(resumed.map(identity)).size);
    expect(resumed.filter((frame) => !isDelta(frame)).map((frame) => frame.event)).toEqual(PIPELINE);
    expect(deltaText(resumed)).toBe(WORDS);
  });
});
