import { describe, expect, it } from 'vitest';
import { parseGatewayConfig } from '../../gateway/routing/deployments.js';
import { tokenCounterFor } from '../../gateway/tokens/count-tokens.js';
import { countTokensApproximately } from '../../gateway/tokens/approximate-token-count.js';
import { embeddingWorstCaseMicros, turnWorstCaseMicros } from './model-budgets.js';

const prices = (inputPerMillion: number, outputPerMillion: number) => ({ inputPerMillion, cachedInputPerMillion: inputPerMillion / 2, outputPerMillion });
const deployment = (name: string, model: string, inputPerMillion: number, outputPerMillion: number) => ({
  name,
  provider: 'openai-compatible',
  baseUrl: 'http://127.0.0.1:1/v1',
  model,
  contextWindow: 128_000,
  prices: prices(inputPerMillion, outputPerMillion),
});
const gateway = parseGatewayConfig({
  aliases: {
    'chat/default': { deployments: [deployment('cheap', 'gpt-4o-mini', 1, 2), deployment('dear', 'gpt-4-turbo', 10, 30)] },
    'embed/default': { deployments: [deployment('embed', 'text-embedding-3-small', 0.02, 0)] },
  },
});

describe('the worst case a call holds against budgets', () => {
  it('counts the prompt with the dearest deployment\'s tokenizer, tools included, at the output cap', () => {
    // Text where characters / 4 undercounts by far: each of these characters is a token or more.
    const message = '予算は同時実行でも超過してはならない。'.repeat(40) + ' 🚀'.repeat(50);
    const tools = [{ name: 'lookup_order', description: 'Finds an order by its number', parameters: { type: 'object', properties: { number: { type: 'string' } } } }];
    const request = { messages: [{ role: 'user' as const, content: message }], tools, maxOutputTokens: 100 };
    const counted = tokenCounterFor('gpt-4-turbo').request(request);
    expect(counted).toBeGreaterThan(2 * countTokensApproximately(message));
    expect(turnWorstCaseMicros(gateway)('chat/default', request)).toBe(counted * 10 + 100 * 30);
  });

  it('holds nothing without a gateway file, which has no prices', () => {
    expect(turnWorstCaseMicros(undefined)('chat/default', { messages: [{ role: 'user', content: 'hello' }] })).toBe(0);
    expect(embeddingWorstCaseMicros(undefined)('embed/default', ['hello'])).toBe(0);
  });

  it('counts embeddings inputs with the embedding deployment\'s tokenizer', () => {
    const inputs = ['refund window', '返品ポリシー'];
    const tokens = inputs.reduce((sum, input) => sum + tokenCounterFor('text-embedding-3-small').text(input), 0);
    expect(embeddingWorstCaseMicros(gateway)('embed/default', inputs)).toBe(Math.ceil(tokens * 0.02));
  });
});
