import { describe, expect, it } from 'vitest';
import { mapUsage } from './map-usage.js';

describe('usage as providers report it', () => {
  it('takes the counts, cached tokens inside the prompt tokens', () => {
    expect(mapUsage({ prompt_tokens: 120, completion_tokens: 30, prompt_tokens_details: { cached_tokens: 100 } })).toEqual({
      inputTokens: 120,
      outputTokens: 30,
      cachedInputTokens: 100,
    });
  });

  it('takes missing counts, and counts that are no counts, as none reported', () => {
    expect(mapUsage(null)).toEqual({ inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 });
    expect(mapUsage({ prompt_tokens: -3, completion_tokens: 2.5, prompt_tokens_details: { cached_tokens: Number.MAX_VALUE } })).toEqual({
      inputTokens: 0,
      outputTokens: 0,
      cachedInputTokens: 0,
    });
  });
});
