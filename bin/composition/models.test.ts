import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../infra/config/load-config.js';
import { startFakeUpstream, type FakeUpstream } from '../../test/support/fake-upstream/index.js';
import { createModels } from './models.js';

let upstream: FakeUpstream;
beforeAll(async () => {
  upstream = await startFakeUpstream();
});
afterAll(() => upstream.close());

describe('the one provider of TESSERA_MODEL_BASE_URL', () => {
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

  it('refuses a dialect it does not know, naming the setting', () => {
    expect(() => loadConfig({ TESSERA_MODEL_DEVELOPER_ROLE: 'assistant' })).toThrow(ConfigError);
    expect(() => loadConfig({ TESSERA_MODEL_DEVELOPER_ROLE: 'assistant' })).toThrow(/TESSERA_MODEL_DEVELOPER_ROLE/);
  });
});
