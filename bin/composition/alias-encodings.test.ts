import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../infra/config/load-config.js';
import { aliasEncodings } from './alias-encodings.js';

const deployment = (name: string, model: string, tokenizer?: string) => ({
  name,
  provider: 'openai-compatible',
  baseUrl: 'http://127.0.0.1:1/v1',
  model,
  contextWindow: 128_000,
  prices: { inputPerMillion: 1, cachedInputPerMillion: 0.5, outputPerMillion: 2 },
  ...(tokenizer ? { tokenizer } : {}),
});

function gatewayFile(aliases: Record<string, unknown>): string {
  const file = join(mkdtempSync(join(tmpdir(), 'tessera-alias-encodings-')), 'gateway.json');
  writeFileSync(file, JSON.stringify({ aliases }));
  return file;
}

describe('alias encodings', () => {
  it('count an alias as the first deployment of its route does: its tokenizer, else its model family', () => {
    const file = gatewayFile({
      'chat/default': { deployments: [deployment('llama', 'llama-3.1-70b', 'o200k_base'), deployment('old', 'gpt-4-0613')] },
      'chat/cheap': { deployments: [deployment('mini', 'gpt-4o-mini'), deployment('old-cheap', 'gpt-3.5-turbo')] },
      'chat/reasoning': { deployments: [deployment('gpt4', 'gpt-4-turbo')] },
    });
    const encodingOf = aliasEncodings(loadConfig({ TESSERA_GATEWAY_CONFIG_FILE: file, TESSERA_CHAT_MODEL: 'gpt-3.5-turbo' }));
    expect(encodingOf('chat/default')).toBe('o200k_base');
    expect(encodingOf('chat/cheap')).toBe('o200k_base');
    expect(encodingOf('chat/reasoning')).toBe('cl100k_base');
  });

  it('count every alias as the configured chat model without a gateway file', () => {
    expect(aliasEncodings(loadConfig({ TESSERA_CHAT_MODEL: 'gpt-4o-mini' }))('chat/default')).toBe('o200k_base');
    expect(aliasEncodings(loadConfig({ TESSERA_CHAT_MODEL: 'gpt-3.5-turbo' }))('chat/default')).toBe('cl100k_base');
  });
});
