import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../../../test/support/fake-upstream/index.js';
import { ModelCallError } from '../../model-call-error.js';
import type { LanguageModel, ModelRequest, ModelStreamPart } from '../../model-spec.js';
import { createOpenAiCompatibleModel } from './create-openai-compatible-model.js';

let upstream: FakeUpstream;
let model: LanguageModel;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  model = createOpenAiCompatibleModel({ baseUrl: upstream.url, apiKey: 'test-key', modelId: 'fake-chat', timeoutMs: 2_000 });
});
afterAll(() => upstream.close());

const ask = (content: string): ModelRequest => ({ messages: [{ role: 'user', content }] });

async function collect(parts: AsyncIterable<ModelStreamPart>): Promise<ModelStreamPart[]> {
  const collected: ModelStreamPart[] = [];
  for await (const part of parts) collected.push(part);
  return collected;
}

async function failure(call: () => Promise<unknown>): Promise<ModelCallError> {
  const error = await call().then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!ModelCallError.isInstance(error)) throw new Error(`expected a ModelCallError, got ${String(error)}`);
  return error;
}

describe('generate', () => {
  it('returns the text, finish reason, usage, model and response id', async () => {
    const result = await model.generate(ask('[[fake: reply="Paris is the capital." cached-tokens=4]] Where?'));
    expect(result).toMatchObject({
      text: 'Paris is the capital.',
      toolCalls: [],
      finishReason: 'stop',
      usage: { outputTokens: 6, cachedInputTokens: 4 },
      responseModelId: 'fake-chat',
    });
    expect(result.usage.inputTokens).toBeGreaterThan(4);
    expect(result.responseId).toMatch(/^chatcmpl-fake-/);
  });

  it('returns tool calls with their ids, names and arguments', async () => {
    const result = await model.generate(ask('[[fake: tool=get_weather args={"city":"Paris"}]]'));
    expect(result.finishReason).toBe('tool-calls');
    expect(result.text).toBe('');
    expect(result.toolCalls).toEqual([{ id: expect.stringMatching(/^call_/) as unknown, name: 'get_weather', arguments: '{"city":"Paris"}' }]);
  });
});

describe('stream', () => {
  it('streams text deltas that concatenate to the final text, then one finish part', async () => {
    const parts = await collect(model.stream(ask('[[fake: reply="one two three four five"]]')));
    const deltas = parts.filter((part) => part.type === 'text-delta');
    expect(deltas.length).toBeGreaterThan(1);
    const finish = parts.at(-1);
    if (finish?.type !== 'finish') throw new Error('the stream did not end with a finish part');
    expect(deltas.map((part) => part.text).join('')).toBe('one two three four five');
    expect(finish.result.text).toBe('one two three four five');
    expect(parts.filter((part) => part.type === 'finish')).toHaveLength(1);
  });

  it('accumulates interleaved tool-call deltas by index into the right ids, names and arguments', async () => {
    const parts = await collect(
      model.stream(ask('[[fake: tool=get_weather args={"city":"Paris","unit":"celsius"} tool=get_time args={"zone":"Europe/Paris"}]]')),
    );
    const starts = parts.filter((part) => part.type === 'tool-call-start');
    expect(starts.map((part) => [part.index, part.name])).toEqual([
      [0, 'get_weather'],
      [1, 'get_time'],
    ]);
    const deltaIndexes = parts.filter((part) => part.type === 'tool-call-delta').map((part) => part.index);
    // Proves the fixture interleaves: a delta of call 0 arrives after call 1 has started.
    expect(deltaIndexes.lastIndexOf(0)).toBeGreaterThan(deltaIndexes.indexOf(1));
    const finish = parts.at(-1);
    if (finish?.type !== 'finish') throw new Error('the stream did not end with a finish part');
    expect(finish.result.finishReason).toBe('tool-calls');
    expect(finish.result.toolCalls).toEqual([
      { id: starts[0]?.id, name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' },
      { id: starts[1]?.id, name: 'get_time', arguments: '{"zone":"Europe/Paris"}' },
    ]);
    expect(starts[0]?.id).not.toBe(starts[1]?.id);
  });

  it('takes usage, cached tokens included, from the final usage chunk', async () => {
    const generated = await model.generate(ask('[[fake: reply="same answer" cached-tokens=5]] a fairly long question here'));
    const parts = await collect(model.stream(ask('[[fake: reply="same answer" cached-tokens=5]] a fairly long question here')));
    const finish = parts.at(-1);
    if (finish?.type !== 'finish') throw new Error('the stream did not end with a finish part');
    expect(finish.result.usage).toEqual(generated.usage);
    expect(finish.result.usage.cachedInputTokens).toBe(5);
    expect(finish.result.usage.outputTokens).toBeGreaterThan(0);
    const request = upstream.requests.at(-1)?.body as { stream_options?: unknown };
    expect(request.stream_options).toEqual({ include_usage: true });
  });
});

describe('failures', () => {
  it('maps a 429 to rate-limited with the Retry-After delay', async () => {
    const error = await failure(() => model.generate(ask('[[fake: status=429 retry-after=2]]')));
    expect(error).toMatchObject({ kind: 'rate-limited', retryable: true, details: { status: 429, retryAfterMs: 2000 } });
  });

  it('prefers retry-after-ms to Retry-After', async () => {
    const error = await failure(() => model.generate(ask('[[fake: status=429 retry-after=2 retry-after-ms=750]]')));
    expect(error.details.retryAfterMs).toBe(750);
  });

  it('maps a 500 to server, streaming or not', async () => {
    expect(await failure(() => model.generate(ask('[[fake: status=500]]')))).toMatchObject({ kind: 'server', details: { status: 500 } });
    expect(await failure(() => collect(model.stream(ask('[[fake: status=500]]'))))).toMatchObject({ kind: 'server' });
  });

  it('maps a context_length_exceeded 400 to context-overflow', async () => {
    const error = await failure(() => model.generate(ask('[[fake: context-overflow]]')));
    expect(error).toMatchObject({ kind: 'context-overflow', retryable: false, details: { status: 400 } });
  });

  it('times out a stream whose upstream stays silent after the headers', async () => {
    const impatient = createOpenAiCompatibleModel({ baseUrl: upstream.url, apiKey: 'test-key', modelId: 'fake-chat', timeoutMs: 200 });
    const started = Date.now();
    const error = await failure(() => collect(impatient.stream(ask('[[fake: hang-before-first-token=5000]]'))));
    expect(error.kind).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('counts silence, not total time: headers and chunks each restart the clock', async () => {
    const patient = createOpenAiCompatibleModel({ baseUrl: upstream.url, apiKey: 'test-key', modelId: 'fake-chat', timeoutMs: 600 });
    // 350 ms to the headers, then 350 ms to the first chunk: 700 ms in all, never 600 ms of silence.
    const parts = await collect(patient.stream(ask('[[fake: delay=350 hang-before-first-token=350 reply="late but fine"]]')));
    expect(parts.at(-1)).toMatchObject({ type: 'finish', result: { text: 'late but fine' } });
  });

  it('times out a response that does not come', async () => {
    const impatient = createOpenAiCompatibleModel({ baseUrl: upstream.url, apiKey: 'test-key', modelId: 'fake-chat', timeoutMs: 200 });
    expect((await failure(() => impatient.generate(ask('[[fake: delay=5000]]')))).kind).toBe('timeout');
  });

  it('reports a stream cut mid-answer as disconnected, with the text received so far', async () => {
    const received: string[] = [];
    const error = await failure(async () => {
      for await (const part of model.stream(ask('[[fake: reply="alpha beta gamma delta" disconnect-after-chunks=3]]'))) {
        if (part.type === 'text-delta') received.push(part.text);
      }
    });
    expect(error.kind).toBe('disconnected');
    expect(error.details.partialText).toBe('alpha beta');
    expect(received.join('')).toBe('alpha beta');
  });

  it('maps the caller aborting, before the answer or mid-stream, to aborted', async () => {
    const before = new AbortController();
    setTimeout(() => before.abort(), 50);
    const whole = await failure(() => model.generate({ ...ask('[[fake: delay=5000]]'), abortSignal: before.signal }));
    expect(whole.kind).toBe('aborted');

    const midway = new AbortController();
    const error = await failure(async () => {
      for await (const part of model.stream({ ...ask('[[fake: reply="a b c d e f"]]'), abortSignal: midway.signal })) {
        if (part.type === 'text-delta') midway.abort();
      }
    });
    expect(error).toMatchObject({ kind: 'aborted', retryable: false, details: { partialText: 'a' } });
  });
});
