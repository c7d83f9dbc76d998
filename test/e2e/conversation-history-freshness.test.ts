import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PROMPT_TEMPLATE } from '../../domain/prompt/prompt-template.js';
import { startFakeUpstream, type FakeUpstream } from '../support/fake-upstream/index.js';
import { startTessera, type HarnessProfile, type RunningTessera } from '../support/tessera-harness.js';
import { apiClient, eventOf, type ApiClient, type ConversationView, type ModelMessage } from './tessera-api.js';

/**
 * The projections apply batches apart (TESSERA_PROJECTION_LINGER_MS), and a turn's end
 * is announced quietly (TESSERA_SUBSCRIPTION_QUIET_ANNOUNCE_MS), so the conversation
 * view trails the log; a prompt must not. Both far longer than the prompt's own wait
 * limit (and the safety-net poll further still), the next turn still sees the previous
 * exchange only if the prompt had the announcement made and the projections hurried
 * rather than waiting them out. With services, the next turn's request, announced
 * promptly, may carry the announcement too.
 */
describe.each<HarnessProfile>(['embedded', 'services'])('the next prompt and a lingering conversation view (%s profile)', (profile) => {
  let upstream: FakeUpstream;
  let tessera: RunningTessera;
  let api: ApiClient;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    tessera = await startTessera(profile, {
      TESSERA_MODEL_BASE_URL: upstream.url,
      TESSERA_CHAT_MODEL: 'fake-chat',
      TESSERA_PROJECTION_LINGER_MS: '10000',
      TESSERA_SUBSCRIPTION_QUIET_ANNOUNCE_MS: '10000',
      TESSERA_SUBSCRIPTION_POLL_MS: '60000',
    });
    api = apiClient(tessera);
  });

  afterAll(async () => {
    await tessera?.close();
    await upstream?.close();
  });

  it('sends the exchange that ended just before, though the view has not applied it yet', async () => {
    const conversationId = await api.startConversation();
    const first = 'My name is Ada. [[fake: reply="Hello Ada."]]';
    await api.waitForTurn(await api.sendTurn(conversationId, first));
    // The view may not even have the conversation yet (404); it must not have the answer.
    const lagging = await api.request<ConversationView>('GET', `/v1/conversations/${conversationId}`);
    expect(lagging.status === 404 || !lagging.body.messages.some((message) => message.role === 'assistant')).toBe(true);

    const second = 'What is my name? [[fake: reply="Ada."]]';
    const startedAt = performance.now();
    const secondTurn = await api.waitForTurn(await api.sendTurn(conversationId, second));

    expect((eventOf(secondTurn.timeline, 'PromptBuilt').data as { messages: ModelMessage[] }).messages).toEqual([
      { role: 'system', content: DEFAULT_PROMPT_TEMPLATE.system },
      { role: 'user', content: first },
      { role: 'assistant', content: 'Hello Ada.' },
      { role: 'user', content: second },
    ]);
    // Hurried, not waited out: well within the prompt's 2 s limit, let alone the linger.
    expect(performance.now() - startedAt).toBeLessThan(1_500);
  });
});
