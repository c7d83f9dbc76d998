import { describe, expect, it } from 'vitest';
import { ModelCallError } from '../../model-call-error.js';
import { createStreamState } from './stream-state.js';

const context = { provider: 'test', modelId: 'requested-model' };

describe('createStreamState', () => {
  it('takes usage from a choice chunk too, as servers without a separate usage chunk send it', () => {
    const state = createStreamState(context);
    state.accept({ id: 'r1', model: 'served-model', choices: [{ delta: { role: 'assistant', content: 'Hi' }, finish_reason: null }] });
    state.accept({
      choices: [{ delta: {}, finish_reason: 'length' }],
      usage: { prompt_tokens: 9, completion_tokens: 1, prompt_tokens_details: null },
    });
    expect(state.finished).toBe(true);
    expect(state.result()).toEqual({
      text: 'Hi',
      toolCalls: [],
      finishReason: 'length',
      usage: { inputTokens: 9, outputTokens: 1, cachedInputTokens: 0 },
      responseModelId: 'served-model',
      responseId: 'r1',
    });
  });

  it('is not finished until a finish reason arrives, and keeps the partial text', () => {
    const state = createStreamState(context);
    expect(state.accept({ choices: [{ delta: { content: 'par' } }] })).toEqual([{ type: 'text-delta', text: 'par' }]);
    state.accept({ choices: [{ delta: { content: 'tial' } }] });
    expect(state.finished).toBe(false);
    expect(state.text).toBe('partial');
    expect(state.result().responseModelId).toBe('requested-model');
  });

  it('rejects a malformed chunk as a server failure carrying the text so far', () => {
    const state = createStreamState(context);
    state.accept({ choices: [{ delta: { content: 'so far' } }] });
    let thrown: unknown;
    try {
      state.accept({ choices: [{ delta: { content: 42 } }] });
    } catch (error) {
      thrown = error;
    }
    expect(ModelCallError.isInstance(thrown)).toBe(true);
    expect(thrown).toMatchObject({ kind: 'server', details: { partialText: 'so far' } });
  });
});
