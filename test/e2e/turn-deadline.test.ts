import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../support/fake-upstream/index.js';
import { startTessera, type RunningTessera } from '../support/tessera-harness.js';
import { apiClient, eventOf, typesOf, type ApiClient } from './tessera-api.js';

const DEADLINE_MS = 1_000;

/**
 * TESSERA_TURN_DEADLINE_MS as an operator sets it, with the sweeper the workers of
 * `tessera all` run on their own 5 s timer: a turn whose model never answers ends
 * failed, and the API says why.
 */
describe('a turn past TESSERA_TURN_DEADLINE_MS (embedded profile)', () => {
  let upstream: FakeUpstream;
  let tessera: RunningTessera;
  let api: ApiClient;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    tessera = await startTessera('embedded', {
      TESSERA_MODEL_BASE_URL: upstream.url,
      TESSERA_CHAT_MODEL: 'fake-chat',
      TESSERA_TURN_DEADLINE_MS: String(DEADLINE_MS),
    });
    api = apiClient(tessera);
  });

  afterAll(async () => {
    // The model call still hangs: cutting the upstream first lets the process stop at once.
    await upstream?.close();
    await tessera?.close();
  });

  it('is ended by the sweeper with TurnFailed (deadline-exceeded) while its model call still hangs', async () => {
    const conversationId = await api.startConversation();
    const turnId = await api.sendTurn(conversationId, 'Tell me slowly. [[fake: hang-before-first-token=25000]]');

    const turn = await api.waitForTurn(turnId, 20_000);

    expect(turn.status).toBe('failed');
    expect(turn.failure?.reason).toBe('deadline-exceeded');
    // Nothing answered: the model call was still in flight when the turn was ended.
    expect(typesOf(turn.timeline)).toEqual(['TurnRequested', 'PromptBuilt', 'ModelCallStarted', 'TurnFailed']);
    const requested = eventOf(turn.timeline, 'TurnRequested').data as { requestedAt: string; deadline: string };
    expect(Date.parse(requested.deadline) - Date.parse(requested.requestedAt)).toBe(DEADLINE_MS);
    const failedAt = Date.parse(eventOf(turn.timeline, 'TurnFailed').occurredAt);
    expect(failedAt).toBeGreaterThan(Date.parse(requested.deadline));
  });
});
