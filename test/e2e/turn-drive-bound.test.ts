import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../support/fake-upstream/index.js';
import { startTessera, type HarnessProfile, type RunningTessera } from '../support/tessera-harness.js';
import { streamId } from '../../domain/shared/stream-id.js';
import { apiClient, type ApiClient, type TurnView } from './tessera-api.js';

const HELD_MS = 6_000;

/**
 * With one inline drive allowed, a turn whose model call hangs holds it; every other
 * turn meanwhile is recorded for the pipeline workers, and they answer it.
 */
describe.each<HarnessProfile>(['embedded', 'services'])('turns past the inline drive bound (%s profile)', (profile) => {
  let upstream: FakeUpstream;
  let tessera: RunningTessera;
  let api: ApiClient;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    tessera = await startTessera(profile, {
      TESSERA_MODEL_BASE_URL: upstream.url,
      TESSERA_CHAT_MODEL: 'fake-chat',
      TESSERA_TURN_DRIVE_MAX_IN_FLIGHT: '1',
    });
    api = apiClient(tessera);
  });

  /** The transaction each of a turn's first events was committed in (a position is `transaction:sequence`). */
  const firstCommits = async (turnId: string) => {
    const { events } = await tessera.backend.store.readStream(streamId('turn', turnId));
    const commitOf = (type: string) => events.find((event) => event.type === type)!.position.split(':')[0];
    return { requested: commitOf('TurnRequested'), promptBuilt: commitOf('PromptBuilt'), callStarted: commitOf('ModelCallStarted') };
  };

  afterAll(async () => {
    await tessera?.close();
    await upstream?.close();
  });

  it('answers REST turns and chat completions through the workers while the one drive is held', async () => {
    const heldTurn = await api.sendTurn(await api.startConversation(), `[[fake: hang-before-first-token=${HELD_MS}]] Hold the only drive.`);
    const started = Date.now();

    const queuedTurns = await Promise.all(
      [1, 2, 3].map(async (index) => api.sendTurn(await api.startConversation(), `Question ${index} [[fake: reply="Answer ${index}."]]`)),
    );
    const completion = await api.request<{ choices: { message: { content: string } }[] }>('POST', '/v1/chat/completions', {
      body: { model: 'chat/default', messages: [{ role: 'user', content: 'Hello [[fake: reply="Hi from a worker."]]' }] },
    });
    const ended = await Promise.all(queuedTurns.map((turnId) => api.waitForTurn(turnId)));
    const held = (await api.request<TurnView>('GET', `/v1/turns/${heldTurn}`)).body;

    expect(Date.now() - started).toBeLessThan(HELD_MS);
    expect(held.status).not.toBe('completed');
    expect(completion.status, JSON.stringify(completion.body)).toBe(200);
    expect(completion.body.choices[0]!.message.content).toBe('Hi from a worker.');
    expect(ended.map((turn) => [turn.status, turn.answer])).toEqual([
      ['completed', 'Answer 1.'],
      ['completed', 'Answer 2.'],
      ['completed', 'Answer 3.'],
    ]);

    // Recorded by the route alone, then built and called by the workers in commits of their own.
    for (const turnId of queuedTurns) {
      const commits = await firstCommits(turnId);
      expect(commits.promptBuilt).not.toBe(commits.requested);
    }

    const heldEnd = await api.waitForTurn(heldTurn, HELD_MS + 15_000);
    expect(heldEnd.status).toBe('completed');
    // The slot is free again: the next turn is driven here, its first steps in the request's own commit.
    const drivenTurn = await api.sendTurn(await api.startConversation(), 'Driven again [[fake: reply="Inline."]]');
    expect((await api.waitForTurn(drivenTurn)).answer).toBe('Inline.');
    const commits = await firstCommits(drivenTurn);
    expect([commits.promptBuilt, commits.callStarted]).toEqual([commits.requested, commits.requested]);
  });
});
