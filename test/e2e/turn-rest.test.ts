import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PROMPT_TEMPLATE } from '../../domain/prompt/prompt-template.js';
import { startFakeUpstream, type FakeUpstream } from '../support/fake-upstream/index.js';
import { startTessera, type HarnessProfile, type RunningTessera } from '../support/tessera-harness.js';
import { apiClient, eventOf, expectProblem, typesOf, type ApiClient, type ModelMessage, type TurnView } from './tessera-api.js';

const PIPELINE = ['TurnRequested', 'PromptBuilt', 'ModelCallStarted', 'ModelCallCompleted', 'OutputValidated', 'TurnCompleted'];

/**
 * A turn over REST, as a client that does not stream sees it: 202 and a Location,
 * then the turn's timeline and the conversation view, against a real OpenAI-compatible
 * upstream (the fake) reached through the openai SDK.
 */
describe.each<HarnessProfile>(['embedded', 'services'])('a turn over REST (%s profile)', (profile) => {
  let upstream: FakeUpstream;
  let tessera: RunningTessera;
  let api: ApiClient;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    tessera = await startTessera(profile, { TESSERA_MODEL_BASE_URL: upstream.url, TESSERA_CHAT_MODEL: 'fake-chat' });
    api = apiClient(tessera);
  });

  afterAll(async () => {
    await tessera?.close();
    await upstream?.close();
  });

  it('creates a conversation with 201 and a Location naming it', async () => {
    const response = await api.request<{ id: string; status: string }>('POST', '/v1/conversations', { body: { title: 'REST' } });

    expect(response.status).toBe(201);
    expect(response.body).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown, status: 'active' });
    expect(response.headers.get('location')).toBe(`/v1/conversations/${response.body.id}`);
  });

  it('accepts a turn with 202, runs the pipeline in order and records the exact prompt', async () => {
    const conversationId = await api.startConversation();
    const message = 'What is event sourcing? [[fake: reply="Storing every change as an immutable event."]]';

    const accepted = await api.request<{ id: string; conversationId: string; status: string; streamUrl: string }>(
      'POST',
      `/v1/conversations/${conversationId}/turns`,
      { body: { message, stream: false } },
    );
    expect(accepted.status).toBe(202);
    const turnId = accepted.body.id;
    expect(accepted.body).toEqual({ id: turnId, conversationId, status: 'requested', streamUrl: `/v1/turns/${turnId}/stream` });
    expect(accepted.headers.get('location')).toBe(`/v1/turns/${turnId}`);

    const turn = await api.waitForTurn(turnId);
    expect(turn.status).toBe('completed');
    expect(turn.answer).toBe('Storing every change as an immutable event.');
    expect(typesOf(turn.timeline)).toEqual(PIPELINE);
    expect(turn.timeline.map((entry) => entry.revision)).toEqual([0, 1, 2, 3, 4, 5]);

    const prompt = eventOf(turn.timeline, 'PromptBuilt').data as { step: number; messages: ModelMessage[] };
    expect(prompt.step).toBe(1);
    expect(prompt.messages).toEqual([
      { role: 'system', content: DEFAULT_PROMPT_TEMPLATE.system },
      { role: 'user', content: message },
    ]);
    // What PromptBuilt records is what went over the wire.
    const sent = upstream.requests
      .map((request) => request.body as { messages?: ModelMessage[] })
      .filter((body) => body.messages?.some((entry) => entry.content === message));
    expect(sent).toHaveLength(1);
    expect(sent[0]?.messages).toEqual(prompt.messages);
    expect(eventOf(turn.timeline, 'TurnCompleted').data).toMatchObject({ answer: 'Storing every change as an immutable event.' });
    expect(turn.usage.inputTokens).toBeGreaterThan(0);
    expect(turn.usage.outputTokens).toBeGreaterThan(0);
  });

  it('projects the user message, the answer and the usage into the conversation view', async () => {
    const conversationId = await api.startConversation({ title: 'view' });
    const turnId = await api.sendTurn(conversationId, 'Name a colour. [[fake: reply="Teal."]]');
    await api.waitForTurn(turnId);

    const view = await api.waitForConversation(conversationId, (current) => current.messages.length === 2);

    expect(view.id).toBe(conversationId);
    expect(view.turnCount).toBe(1);
    expect(view.messages.map(({ turnId: id, role, content, status }) => ({ id, role, content, status }))).toEqual([
      { id: turnId, role: 'user', content: 'Name a colour. [[fake: reply="Teal."]]', status: 'completed' },
      { id: turnId, role: 'assistant', content: 'Teal.', status: 'completed' },
    ]);
    expect(view.turns).toEqual([expect.objectContaining({ id: turnId, status: 'completed' })]);
    expect(view.usage.inputTokens).toBeGreaterThan(0);
    expect(view.usage.outputTokens).toBeGreaterThan(0);
  });

  it('sends the earlier exchange of the conversation as history in the next turn', async () => {
    const conversationId = await api.startConversation();
    const first = 'My name is Ada. [[fake: reply="Hello Ada."]]';
    const firstTurn = await api.sendTurn(conversationId, first);
    await api.waitForTurn(firstTurn);
    await api.waitForConversation(conversationId, (view) => view.messages.some((entry) => entry.role === 'assistant'));

    const second = 'What is my name? [[fake: reply="Ada."]]';
    const secondTurn = await api.waitForTurn(await api.sendTurn(conversationId, second));

    expect(secondTurn.status).toBe('completed');
    expect((eventOf(secondTurn.timeline, 'PromptBuilt').data as { messages: ModelMessage[] }).messages).toEqual([
      { role: 'system', content: DEFAULT_PROMPT_TEMPLATE.system },
      { role: 'user', content: first },
      { role: 'assistant', content: 'Hello Ada.' },
      { role: 'user', content: second },
    ]);
    expect(secondTurn.answer).toBe('Ada.');
  });

  it('answers feedback on a turn still running with 409 naming params.id, recording nothing', async () => {
    const conversationId = await api.startConversation();
    const turnId = await api.sendTurn(conversationId, 'Slowly. [[fake: reply="Later." delay=1500]]');

    const response = await api.request('POST', `/v1/turns/${turnId}/feedback`, { body: { rating: 'up' } });

    expectProblem(response, 409, 'TESSERA_TURN_NOT_ENDED', 'params.id');
    await api.waitForTurn(turnId);
    const turn = (await api.request<TurnView>('GET', `/v1/turns/${turnId}`)).body;
    expect(typesOf(turn.timeline)).toEqual(PIPELINE);
  });

  it('records thumbs-up feedback as FeedbackRecorded with score 1', async () => {
    const conversationId = await api.startConversation();
    const turnId = await api.sendTurn(conversationId, 'Rate me. [[fake: reply="Done."]]');
    await api.waitForTurn(turnId);

    const response = await api.request('POST', `/v1/turns/${turnId}/feedback`, { body: { rating: 'up', comment: 'spot on' } });

    expect(response.status).toBe(202);
    expect(response.body).toEqual({ turnId, recorded: true });
    const turn = (await api.request<TurnView>('GET', `/v1/turns/${turnId}`)).body;
    expect(typesOf(turn.timeline)).toEqual([...PIPELINE, 'FeedbackRecorded']);
    expect(turn.timeline.at(-1)?.data).toEqual({ turnId, score: 1, comment: 'spot on', source: 'user' });
  });
});
