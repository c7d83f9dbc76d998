import { describe, expect, it } from 'vitest';
import { tokenCounterFor } from '../../gateway/tokens/index.js';
import { modelRouteTokenEstimators } from './token-estimates.js';

const MAX_OUTPUT = 500;
// Japanese: o200k encodes it in far fewer tokens than cl100k, so the two counts differ.
const message = '返品は配達から三十日以内、未使用の商品に限り受け付けます。返金の手続きには通常五営業日かかります。';

describe('token estimates of the model routes', () => {
  it('count a chat completion with the encoding of the model its alias goes to, plus the output asked for', () => {
    const asked: string[] = [];
    const estimators = modelRouteTokenEstimators(MAX_OUTPUT, (alias) => (asked.push(alias), 'o200k_base'));
    const body = { model: 'chat/default', messages: [{ role: 'user', content: message }], max_tokens: 100 };
    const estimate = estimators.get('POST /v1/chat/completions')!(body);
    const o200k = tokenCounterFor('gpt-4o', 'o200k_base').request({ messages: [{ role: 'user', content: message }] });
    const cl100k = tokenCounterFor('gpt-4', 'cl100k_base').request({ messages: [{ role: 'user', content: message }] });
    expect(asked).toEqual(['chat/default']);
    expect(o200k).toBeLessThan(cl100k);
    expect(estimate).toBe(o200k + 100);
  });

  it('count a turn with the encoding of its alias, the default alias when it names none', () => {
    const asked: string[] = [];
    const estimators = modelRouteTokenEstimators(MAX_OUTPUT, (alias) => (asked.push(alias), 'cl100k_base'));
    const estimate = estimators.get('POST /v1/conversations/:id/turns')!({ message });
    expect(asked).toEqual(['chat/default']);
    expect(estimate).toBe(tokenCounterFor('gpt-4', 'cl100k_base').messages([{ role: 'user', content: message }]) + MAX_OUTPUT);
  });
});
