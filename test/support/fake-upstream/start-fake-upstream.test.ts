import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from './start-fake-upstream.js';

let upstream: FakeUpstream;
beforeAll(async () => {
  upstream = await startFakeUpstream({ models: ['fake-chat'] });
});
afterAll(() => upstream.close());

function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${upstream.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

const chat = (content: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  model: 'fake-chat',
  messages: [{ role: 'user', content }],
  ...extra,
});

describe('startFakeUpstream', () => {
  it('echoes the last user message by default and records the request', async () => {
    const response = await post('/chat/completions', chat('hello [[fake: cached-tokens=1]] there'), { 'x-test': 'yes' });
    const body = (await response.json()) as { object: string; choices: { message: { content: string }; finish_reason: string }[] };
    expect(body.object).toBe('chat.completion');
    expect(body.choices[0]).toMatchObject({ message: { content: 'echo: hello there' }, finish_reason: 'stop' });
    expect(upstream.requests.at(-1)).toMatchObject({ method: 'POST', path: '/v1/chat/completions', headers: { 'x-test': 'yes' }, body: chat('hello [[fake: cached-tokens=1]] there') });
  });

  it('streams SSE events as OpenAI does: usage chunk with no choices, then [DONE]', async () => {
    const response = await post('/chat/completions', chat('[[fake: reply="a b"]]', { stream: true, stream_options: { include_usage: true } }));
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const raw = await response.text();
    expect(raw.endsWith('data: [DONE]\n\n')).toBe(true);
    const events = raw.split('\n\n').filter(Boolean);
    expect(events.every((event) => event.startsWith('data: ') && !event.includes('\n'))).toBe(true);
    const chunks = events.slice(0, -1).map((event) => JSON.parse(event.slice('data: '.length)) as Record<string, unknown>);
    expect(chunks.map((chunk) => (chunk.choices as { delta: { content?: string } }[])[0]?.delta.content)).toEqual(['', 'a', ' b', undefined, undefined]);
    expect(chunks.at(-2)).toMatchObject({ usage: null, choices: [{ finish_reason: 'stop' }] });
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { completion_tokens: 1 } });
  });

  it('sends no usage chunk unless asked', async () => {
    const raw = await (await post('/chat/completions', chat('hi', { stream: true }))).text();
    expect(raw).not.toContain('"usage"');
  });

  it('fails as the model name says, and answers a bad directive with a 400 naming it', async () => {
    expect((await post('/chat/completions', { ...chat('hi'), model: 'fake-fail-503' })).status).toBe(503);
    const tooSmall = await post('/chat/completions', { ...chat('a long enough question for a tiny window'), model: 'fake-context-5' });
    expect(await tooSmall.json()).toMatchObject({ error: { code: 'context_length_exceeded' } });
    const typo = await post('/chat/completions', chat('[[fake: stauts=500]]'));
    expect(typo.status).toBe(400);
    expect(await typo.json()).toMatchObject({ error: { code: 'invalid_fake_directive', message: expect.stringContaining('stauts') as unknown } });
  });

  it('reads the scenario from the x-fake-scenario header', async () => {
    const response = await post('/chat/completions', chat('hi'), { 'x-fake-scenario': 'status=429 retry-after=3' });
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('3');
  });

  it('cuts the connection instead of answering when told to disconnect', async () => {
    await expect(post('/chat/completions', chat('[[fake: disconnect-after-chunks=0]]'))).rejects.toThrow();
  });

  it('serves embeddings as floats or base64, and lists its models', async () => {
    const floats = (await (await post('/embeddings', { model: 'e', input: ['a b', 'c'], dimensions: 8 })).json()) as { data: { embedding: number[] }[] };
    expect(floats.data.map((item) => item.embedding.length)).toEqual([8, 8]);
    const encoded = (await (await post('/embeddings', { model: 'e', input: 'a b', dimensions: 8, encoding_format: 'base64' })).json()) as { data: { embedding: string }[] };
    const decoded = new Float32Array(Uint8Array.from(Buffer.from(encoded.data[0]?.embedding ?? '', 'base64')).buffer);
    expect([...decoded].map((value) => value.toFixed(5))).toEqual(floats.data[0]?.embedding.map((value) => value.toFixed(5)));
    expect(await (await fetch(`${upstream.url}/models`)).json()).toMatchObject({ data: [{ id: 'fake-chat', object: 'model' }] });
  });

  it('rejects a wrong API key when one is configured, and closes promptly with a request still hanging', async () => {
    const guarded = await startFakeUpstream({ apiKey: 'secret' });
    const denied = await fetch(`${guarded.url}/models`, { headers: { authorization: 'Bearer wrong' } });
    expect(denied.status).toBe(401);
    const hanging = fetch(`${guarded.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer secret' },
      body: JSON.stringify(chat('[[fake: delay=60000]]')),
    }).catch((error: unknown) => error);
    // Close only once the server holds the request, however slow the machine is.
    await expect.poll(() => guarded.requests.length, { timeout: 5_000 }).toBe(2);
    const started = Date.now();
    await guarded.close();
    // Far below the 60 s the request would hang: close cut it rather than waited.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await hanging).toBeInstanceOf(Error);
    expect(guarded.requests.map((request) => request.path)).toEqual(['/v1/models', '/v1/chat/completions']);
  });
});
