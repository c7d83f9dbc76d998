import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../infra/config/load-config.js';
import { startFakeUpstream, type FakeUpstream } from '../../test/support/fake-upstream/index.js';
import { createModels } from './models.js';
import { routingReportOf } from '../../gateway/routing/routing-report.js';

let upstream: FakeUpstream;
beforeAll(async () => {
  upstream = await startFakeUpstream();
});
afterAll(() => upstream.close());

describe('the one deployment of TESSERA_MODEL_BASE_URL', () => {
  it('speaks the dialect its settings name', async () => {
    const config = loadConfig({ TESSERA_MODEL_BASE_URL: upstream.url, TESSERA_MODEL_DEVELOPER_ROLE: 'system', TESSERA_MODEL_OUTPUT_TOKENS_FIELD: 'max_completion_tokens' });
    await createModels(config)
      .languageModel('chat/default')
      .generate({ messages: [{ role: 'developer', content: 'Be brief.' }, { role: 'user', content: 'hi [[fake: reply="hello"]]' }], maxOutputTokens: 16 });
    const sent = upstream.requests.at(-1)!.body as Record<string, unknown>;
    expect(sent).toMatchObject({ messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user' }], max_completion_tokens: 16 });
    expect(sent).not.toHaveProperty('max_tokens');
  });

  it('asks for vectors of the index size when told to', async () => {
    const config = loadConfig({ TESSERA_MODEL_BASE_URL: upstream.url, TESSERA_EMBEDDING_DIMENSIONS: '96', TESSERA_EMBEDDING_REQUEST_DIMENSIONS: 'true' });
    const result = await createModels(config).embeddingModel('embed/default').embed(['refund window']);
    expect(result.embeddings[0]).toHaveLength(96);
    expect(upstream.requests.at(-1)!.body).toMatchObject({ dimensions: 96 });
  });

  it('goes through the gateway: routing reported, a server error retried, first-token time bounded', async () => {
    const config = loadConfig({ TESSERA_MODEL_BASE_URL: upstream.url, TESSERA_CHAT_MODEL: 'fake-chat', TESSERA_MODEL_TIMEOUT_MS: '300' });
    const model = createModels(config).languageModel('chat/default');
    const answered = await model.generate({ messages: [{ role: 'user', content: 'hello' }] });
    expect(routingReportOf(answered)).toMatchObject({ alias: 'chat/default', chosen: 'default', attempts: [{ deployment: 'default', outcome: 'ok' }] });

    const mark = upstream.requests.length;
    const refused = await model.generate({ messages: [{ role: 'user', content: 'down [[fake: status=503]]' }] }).then(() => undefined, (thrown: unknown) => thrown);
    expect(refused).toMatchObject({ kind: 'server' });
    const attempts = routingReportOf(refused)?.attempts ?? [];
    expect(attempts.length).toBeGreaterThan(1);
    expect(upstream.requests.length - mark).toBe(attempts.length);

    // A fresh process's gateway: the errors above have opened this one's breaker.
    const fresh = createModels(config).languageModel('chat/default');
    const started = Date.now();
    const hung = await (async () => {
      for await (const part of fresh.stream({ messages: [{ role: 'user', content: 'slow [[fake: hang-before-first-token=5000]]' }] })) void part;
    })().then(() => undefined, (thrown: unknown) => thrown);
    expect(hung).toMatchObject({ kind: 'timeout' });
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('refuses a prompt larger than TESSERA_MODEL_CONTEXT_WINDOW before calling', async () => {
    const config = loadConfig({ TESSERA_MODEL_BASE_URL: upstream.url, TESSERA_MODEL_CONTEXT_WINDOW: '50' });
    const mark = upstream.requests.length;
    const error = await createModels(config).languageModel('chat/default').generate({ messages: [{ role: 'user', content: 'word '.repeat(200) }] }).then(() => undefined, (thrown: unknown) => thrown);
    expect(error).toMatchObject({ kind: 'context-overflow' });
    expect(upstream.requests.length).toBe(mark);
  });

  it('refuses a dialect it does not know, naming the setting', () => {
    expect(() => loadConfig({ TESSERA_MODEL_DEVELOPER_ROLE: 'assistant' })).toThrow(ConfigError);
    expect(() => loadConfig({ TESSERA_MODEL_DEVELOPER_ROLE: 'assistant' })).toThrow(/TESSERA_MODEL_DEVELOPER_ROLE/);
  });
});
