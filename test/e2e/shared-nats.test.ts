import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../support/fake-upstream/index.js';
import { collectSseFrames } from '../support/sse-client.js';
import { startTessera, type RunningTessera } from '../support/tessera-harness.js';
import { apiClient } from './tessera-api.js';

/**
 * Deployments may share one NATS server as long as each has its own
 * TESSERA_NATS_STREAM and TESSERA_NATS_SUBJECT_PREFIX (the harness gives every instance
 * its own): starting one must not break the turns of another.
 */
describe('two deployments sharing one NATS server (services profile)', () => {
  let upstream: FakeUpstream;
  let first: RunningTessera;
  let second: RunningTessera;
  const unhandled: unknown[] = [];
  const record = (reason: unknown) => void unhandled.push(reason);

  beforeAll(async () => {
    process.on('unhandledRejection', record);
    upstream = await startFakeUpstream();
    const environment = { TESSERA_MODEL_BASE_URL: upstream.url, TESSERA_CHAT_MODEL: 'fake-chat' };
    first = await startTessera('services', environment);
    second = await startTessera('services', environment);
  });

  afterAll(async () => {
    process.off('unhandledRejection', record);
    await second?.close();
    await first?.close();
    await upstream?.close();
  });

  it.each([
    ['the deployment started first', () => first],
    ['the deployment started second', () => second],
  ])('completes a turn in %s', async (_name, deployment) => {
    const api = apiClient(deployment());
    const conversationId = await api.startConversation();

    const turn = await api.waitForTurn(await api.sendTurn(conversationId, 'Are you there? [[fake: reply="Yes."]]'));

    expect(turn.failure).toBeNull();
    expect(turn.status).toBe('completed');
    expect(turn.answer).toBe('Yes.');
  });

  it('streams a turn of the deployment started first with its text deltas, and nothing rejects unhandled', async () => {
    const api = apiClient(first);
    const conversationId = await api.startConversation();

    const response = await fetch(`${first.url}/v1/conversations/${conversationId}/turns`, {
      method: 'POST',
      headers: { authorization: `Bearer ${first.tenant.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'Stream it. [[fake: reply="Streamed to you."]]', stream: true }),
    });
    const frames = await collectSseFrames(response.body!);
    await new Promise((resolve) => setTimeout(resolve, 100));

    expect(unhandled.map((reason) => String(reason))).toEqual([]);
    expect(frames.at(-1)?.event).toBe('TurnCompleted');
    const deltas = frames.filter((frame) => frame.event === 'text-delta').map((frame) => (JSON.parse(frame.data) as { text: string }).text);
    expect(deltas.join('')).toBe('Streamed to you.');
  });
});
