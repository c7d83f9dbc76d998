import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamId } from '../../domain/shared/stream-id.js';
import { startFakeUpstream } from '../support/fake-upstream/index.js';
import { startTessera, type RunningTessera } from '../support/tessera-harness.js';

/** Existing OpenAI clients, pointed at Tessera, work unchanged, and every call lands in the log as a turn. */
describe.each(['embedded', 'services'] as const)('the OpenAI-compatible surface, through the real openai SDK (%s profile)', (profile) => {
  let upstream: Awaited<ReturnType<typeof startFakeUpstream>>;
  let tessera: RunningTessera;
  let client: OpenAI;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    tessera = await startTessera(profile, { TESSERA_MODEL_BASE_URL: upstream.url, TESSERA_CHAT_MODEL: 'fake-model' });
    client = new OpenAI({ baseURL: `${tessera.url}/v1`, apiKey: tessera.tenant.key, maxRetries: 0 });
  });
  afterAll(async () => {
    await tessera.close();
    await upstream.close();
  });

  const turnEvents = async (turnId: string) => (await tessera.backend.store.readStream(streamId('turn', turnId))).events.map((event) => event.type);

  it('answers a non-streaming completion and records it as a turn', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'chat/default', messages: [{ role: 'user', content: 'Say hello [[fake: reply="Hello there"]]' }] })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe('Hello there');
    expect(data.choices[0]?.finish_reason).toBe('stop');
    expect(data.usage?.total_tokens).toBeGreaterThan(0);
    const turnId = response.headers.get('x-tessera-turn-id')!;
    expect(await turnEvents(turnId)).toEqual(['TurnRequested', 'PromptBuilt', 'ModelCallStarted', 'ModelCallCompleted', 'OutputValidated', 'TurnCompleted']);
  });

  it('takes an empty user, which OpenAI accepts, as no user', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'chat/default', messages: [{ role: 'user', content: 'Anyone there? [[fake: reply="Yes."]]' }], user: '' })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe('Yes.');
    const { events } = await tessera.backend.store.readStream(streamId('turn', response.headers.get('x-tessera-turn-id')!));
    expect(events.map((event) => event.metadata.userId)).toEqual(events.map(() => undefined));
  });

  it('passes the user a client names on to the provider, as OpenAI takes it, and records it as the turn\'s user', async () => {
    const { response } = await client.chat.completions
      .create({ model: 'chat/default', messages: [{ role: 'user', content: 'Who asks? [[fake: reply="You."]]' }], user: 'end-user-42' })
      .withResponse();
    expect(upstream.requests.at(-1)?.body).toMatchObject({ user: 'end-user-42' });
    const { events } = await tessera.backend.store.readStream(streamId('turn', response.headers.get('x-tessera-turn-id')!));
    expect(events[0]?.metadata.userId).toBe('end-user-42');
  });

  it('streams content deltas, then the usage chunk, naming the turn in its headers', async () => {
    const { data: stream, response } = await client.chat.completions
      .create({
        model: 'chat/default',
        messages: [{ role: 'user', content: 'Stream please [[fake: reply="one two three four five"]]' }],
        stream: true,
        stream_options: { include_usage: true },
      })
      .withResponse();
    expect(response.headers.get('x-tessera-turn-id')).toMatch(/^[0-9a-f-]{36}$/);
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined | null;
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish ??= chunk.choices[0]?.finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('one two three four five');
    expect(finish).toBe('stop');
    expect(usage?.completion_tokens).toBeGreaterThan(0);
  });

  it('returns tool calls to the client, which executes them and continues the conversation', async () => {
    const tools: OpenAI.ChatCompletionTool[] = [
      { type: 'function', function: { name: 'get_weather', description: 'Weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
    ];
    const first = await client.chat.completions.create({
      model: 'chat/default',
      tools,
      messages: [{ role: 'user', content: 'Weather in Paris? [[fake: tool=get_weather args={"city":"Paris"}]]' }],
    });
    const call = first.choices[0]?.message.tool_calls?.[0];
    expect(first.choices[0]?.finish_reason).toBe('tool_calls');
    expect(call?.type === 'function' && call.function.name).toBe('get_weather');
    expect(call?.type === 'function' && JSON.parse(call.function.arguments)).toEqual({ city: 'Paris' });

    const second = await client.chat.completions.create({
      model: 'chat/default',
      tools,
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: null, tool_calls: first.choices[0]!.message.tool_calls },
        { role: 'tool', tool_call_id: call!.id, content: '18°C, sunny' },
        { role: 'user', content: 'Thanks [[fake: reply="It is 18°C and sunny in Paris."]]' },
      ],
    });
    expect(second.choices[0]?.message.content).toBe('It is 18°C and sunny in Paris.');
    const forwarded = upstream.requests.at(-1)!.body as { messages: { role: string; tool_call_id?: string }[] };
    expect(forwarded.messages.find((message) => message.role === 'tool')?.tool_call_id).toBe(call!.id);
  });

  it('accumulates streamed tool calls', async () => {
    const stream = await client.chat.completions.create({
      model: 'chat/default',
      stream: true,
      tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }],
      messages: [{ role: 'user', content: 'Look it up [[fake: tool=lookup args={"q":"tessera","limit":3}]]' }],
    });
    const argumentsByIndex = new Map<number, string>();
    const names = new Map<number, string>();
    for await (const chunk of stream) {
      for (const delta of chunk.choices[0]?.delta.tool_calls ?? []) {
        if (delta.function?.name) names.set(delta.index, delta.function.name);
        argumentsByIndex.set(delta.index, (argumentsByIndex.get(delta.index) ?? '') + (delta.function?.arguments ?? ''));
      }
    }
    expect(names.get(0)).toBe('lookup');
    expect(JSON.parse(argumentsByIndex.get(0)!)).toEqual({ q: 'tessera', limit: 3 });
  });

  it('surfaces an upstream failure as the SDK typed error', async () => {
    const attempt = client.chat.completions.create({ model: 'chat/default', messages: [{ role: 'user', content: 'x [[fake: status=429 retry-after=1]]' }] });
    await expect(attempt).rejects.toBeInstanceOf(OpenAI.RateLimitError);
    const unknownModel = client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] });
    await expect(unknownModel).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(unknownModel).rejects.toMatchObject({ status: 404, error: { param: 'model', code: 'model_not_found' } });
    // OpenAI's own code, which clients match on to trim a conversation and try again.
    const tooLong = client.chat.completions.create({ model: 'chat/default', messages: [{ role: 'user', content: 'x [[fake: context-overflow=true]]' }] });
    await expect(tooLong).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(tooLong).rejects.toMatchObject({ error: { code: 'context_length_exceeded', param: 'messages' } });
  });

  it('answers a streamed completion that fails before any output with the HTTP error, as a non-streamed one, not a 200 stream', async () => {
    const refused = client.chat.completions.create({ model: 'chat/default', stream: true, messages: [{ role: 'user', content: 'x [[fake: status=400]]' }] });
    await expect(refused).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    const limited = client.chat.completions.create({ model: 'chat/default', stream: true, messages: [{ role: 'user', content: 'x [[fake: status=429 retry-after=1]]' }] });
    await expect(limited).rejects.toBeInstanceOf(OpenAI.RateLimitError);
    const error: unknown = await limited.catch((thrown: unknown) => thrown);
    // Still a recorded turn, named in the headers like any other.
    expect(error).toBeInstanceOf(OpenAI.APIError);
    const turnId = (error as { headers?: Headers }).headers?.get('x-tessera-turn-id');
    expect(turnId).toBeTruthy();
    expect((await turnEvents(turnId ?? '')).at(-1)).toBe('TurnFailed');
  });

  it('gives the model\'s answer as it came, finish reason included, and never asks the model again', async () => {
    const before = upstream.requests.length;
    const notJson = await client.chat.completions.create({
      model: 'chat/default',
      response_format: { type: 'json_object' },
      messages: [{ role: 'user', content: 'JSON please [[fake: reply="not json at all" finish-reason=length]]' }],
    });
    expect(notJson.choices[0]).toMatchObject({ message: { content: 'not json at all' }, finish_reason: 'length' });
    const filtered = await client.chat.completions.create({ model: 'chat/default', messages: [{ role: 'user', content: 'x [[fake: reply="redacted" finish-reason=content_filter]]' }] });
    expect(filtered.choices[0]).toMatchObject({ message: { content: 'redacted' }, finish_reason: 'content_filter' });
    const empty = await client.chat.completions.create({ model: 'chat/default', messages: [{ role: 'user', content: 'x [[fake: reply=""]]' }] });
    expect(empty.choices[0]?.message.content).toBe('');
    expect(upstream.requests.length - before).toBe(3);
  });

  it('sends the output cap a client names as given, and the configured one when it names none', async () => {
    await client.chat.completions.create({ model: 'chat/default', max_tokens: 10_000, messages: [{ role: 'user', content: 'long answer allowed' }] });
    expect(upstream.requests.at(-1)?.body).toMatchObject({ max_tokens: 10_000 });
    await client.chat.completions.create({ model: 'chat/default', messages: [{ role: 'user', content: 'no cap named' }] });
    expect(upstream.requests.at(-1)?.body).toMatchObject({ max_tokens: tessera.config.turnMaxOutputTokens });
  });

  it('gives back tool calls the model made though none were declared, and a cut-off call with its own finish reason', async () => {
    const undeclared = await client.chat.completions.create({ model: 'chat/default', messages: [{ role: 'user', content: 'x [[fake: tool=lookup args={"q":"a"}]]' }] });
    expect(undeclared.choices[0]).toMatchObject({ finish_reason: 'tool_calls', message: { tool_calls: [{ function: { name: 'lookup', arguments: '{"q":"a"}' } }] } });
    const cut = await client.chat.completions.create({ model: 'chat/default', messages: [{ role: 'user', content: 'x [[fake: tool=lookup args=cut-off finish-reason=length]]' }] });
    expect(cut.choices[0]?.finish_reason).toBe('length');
  });

  it('tells the SDK not to retry a turn that would end the same way again (too many tool calls)', async () => {
    const many = Array.from({ length: tessera.config.turnMaxToolCalls + 1 }, (_, index) => `tool=t${index}`).join(' ');
    const before = upstream.requests.length;
    const attempt = client.chat.completions.create({ model: 'chat/default', messages: [{ role: 'user', content: `x [[fake: ${many}]]` }] }, { maxRetries: 2 });
    await expect(attempt).rejects.toMatchObject({ status: 502 });
    expect(upstream.requests.length - before).toBe(1);
  });

  it('refuses a bad request with a 400 naming the field', async () => {
    const attempt = client.chat.completions.create({ model: 'chat/default', messages: [] });
    await expect(attempt).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(attempt).rejects.toMatchObject({ error: { param: 'messages' } });
  });

  it('passes sampling parameters on to the upstream and records them, and refuses by name what it cannot honour', async () => {
    const { response } = await client.chat.completions
      .create({
        model: 'chat/default',
        messages: [{ role: 'user', content: 'Penalties [[fake: reply="ok"]]' }],
        presence_penalty: 0.5,
        frequency_penalty: -0.5,
        logit_bias: { '50256': -100 },
        reasoning_effort: 'low',
        logprobs: false,
        tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: {} } } }],
        parallel_tool_calls: false,
      })
      .withResponse();
    const sent = { presence_penalty: 0.5, frequency_penalty: -0.5, logit_bias: { '50256': -100 }, reasoning_effort: 'low', parallel_tool_calls: false };
    expect(upstream.requests.at(-1)?.body).toMatchObject(sent);
    const turn = await tessera.backend.store.readStream(streamId('turn', response.headers.get('x-tessera-turn-id')!));
    expect(turn.events.find((event) => event.type === 'PromptBuilt')?.data).toMatchObject({
      parameters: { presencePenalty: 0.5, frequencyPenalty: -0.5, logitBias: { '50256': -100 }, reasoningEffort: 'low', parallelToolCalls: false },
    });

    const upstreamCalls = upstream.requests.length;
    const withLogprobs = client.chat.completions.create({ model: 'chat/default', messages: [{ role: 'user', content: 'x' }], logprobs: true });
    await expect(withLogprobs).rejects.toMatchObject({ status: 400, error: { param: 'logprobs' } });
    const withFunctions = client.chat.completions.create({ model: 'chat/default', messages: [{ role: 'user', content: 'x' }], functions: [{ name: 'f', parameters: {} }] });
    await expect(withFunctions).rejects.toMatchObject({ status: 400, error: { param: 'functions' } });
    const withImage = client.chat.completions.create({
      model: 'chat/default',
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] }],
    });
    await expect(withImage).rejects.toMatchObject({ status: 400, error: { param: 'messages.0.content' } });
    await expect(withImage).rejects.toThrow(/image, audio and file parts are not supported/);
    expect(upstream.requests.length).toBe(upstreamCalls);
  });

  it('answers a completion sent again with the same Idempotency-Key from its first turn, without calling the model again', async () => {
    const request = { model: 'chat/default', messages: [{ role: 'user' as const, content: 'Once only [[fake: reply="exactly once"]]' }] };
    const headers = { 'Idempotency-Key': `completion-${Date.now()}` };
    const upstreamCalls = upstream.requests.length;
    const first = await client.chat.completions.create(request, { headers }).withResponse();
    const again = await client.chat.completions.create(request, { headers }).withResponse();
    expect(again.data).toEqual(first.data);
    expect(again.response.headers.get('idempotent-replayed')).toBe('true');
    expect(again.response.headers.get('x-tessera-turn-id')).toBe(first.response.headers.get('x-tessera-turn-id'));
    expect(upstream.requests.length).toBe(upstreamCalls + 1);

    const otherBody = client.chat.completions.create({ ...request, temperature: 0.5 }, { headers });
    await expect(otherBody).rejects.toBeInstanceOf(OpenAI.UnprocessableEntityError);
    const streamed = client.chat.completions.create({ ...request, stream: true }, { headers: { 'Idempotency-Key': `stream-${Date.now()}` } });
    await expect(streamed).rejects.toMatchObject({ status: 400, error: { param: 'headers.idempotency-key' } });
  });

  it('lists the configured aliases and embeds text', async () => {
    const models = await client.models.list();
    expect(models.data.map((model) => model.id)).toEqual(['chat/default', 'embed/default']);
    expect(await client.models.retrieve('chat/default')).toMatchObject({ id: 'chat/default', object: 'model' });
    // Every answer names its request, which the SDK keeps.
    const { response } = await client.models.list().withResponse();
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    await expect(client.embeddings.create({ model: 'embed/default', input: ['fine', ''] })).rejects.toMatchObject({ status: 400, error: { param: 'input.1' } });
    const unknown = await fetch(`${tessera.url}/v1/models/chat/none`, { headers: { authorization: `Bearer ${tessera.tenant.key}` } });
    expect(unknown.status).toBe(404);
    await expect(client.models.retrieve('chat/none')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const embeddings = await client.embeddings.create({ model: 'embed/default', input: ['refund window', 'return policy'] });
    expect(embeddings.data).toHaveLength(2);
    expect(embeddings.data[0]?.embedding.length).toBe(256);
  });

  it('embeds token ids as the text they stand for in the model\'s encoding, and names an id the encoding lacks', async () => {
    const { encode } = await import('gpt-tokenizer/encoding/cl100k_base');
    const fromText = await client.embeddings.create({ model: 'embed/default', input: ['refund window', 'return policy'] });
    const fromTokens = await client.embeddings.create({ model: 'embed/default', input: [encode('refund window'), encode('return policy')] });
    expect(fromTokens.data.map((item) => item.embedding)).toEqual(fromText.data.map((item) => item.embedding));
    const single = await client.embeddings.create({ model: 'embed/default', input: encode('refund window') });
    expect(single.data[0]?.embedding).toEqual(fromText.data[0]?.embedding);

    const unknown = client.embeddings.create({ model: 'embed/default', input: [encode('fine'), [1, 99_999_999]] });
    await expect(unknown).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(unknown).rejects.toMatchObject({ error: { param: 'input.1.1' } });
  });

  it('rejects a call without a valid key as AuthenticationError', async () => {
    const stranger = new OpenAI({ baseURL: `${tessera.url}/v1`, apiKey: 'sk-not-a-tessera-key', maxRetries: 0 });
    await expect(stranger.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });
});
