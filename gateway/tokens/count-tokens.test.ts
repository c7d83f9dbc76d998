import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { promptTokensAtMost, TOKENS_PER_MESSAGE, TOKENS_PER_NAME, TOKENS_PER_REPLY, tokenCounterFor } from './count-tokens.js';
import { encodingForModel } from './count-tokens.js';

describe('encodingForModel', () => {
  it('picks o200k for gpt-4o, gpt-4.1, gpt-5 and the o-series, cl100k for gpt-3.5, gpt-4 and unknown models', () => {
    const encodings = Object.fromEntries(
      ['gpt-4o', 'gpt-4o-mini', 'openai/gpt-4.1-mini', 'gpt-5', 'o1', 'o3-mini', 'o4-mini', 'gpt-3.5-turbo', 'gpt-4', 'gpt-4-turbo', 'llama-3.1-8b', 'fake-chat', 'omega'].map(
        (model) => [model, encodingForModel(model)],
      ),
    );
    expect(encodings).toEqual({
      'gpt-4o': 'o200k_base',
      'gpt-4o-mini': 'o200k_base',
      'openai/gpt-4.1-mini': 'o200k_base',
      'gpt-5': 'o200k_base',
      o1: 'o200k_base',
      'o3-mini': 'o200k_base',
      'o4-mini': 'o200k_base',
      'gpt-3.5-turbo': 'cl100k_base',
      'gpt-4': 'cl100k_base',
      'gpt-4-turbo': 'cl100k_base',
      'llama-3.1-8b': 'cl100k_base',
      'fake-chat': 'cl100k_base',
      omega: 'cl100k_base',
    });
  });
});

describe('tokenCounterFor', () => {
  it('counts known strings as tiktoken does', () => {
    const gpt4o = tokenCounterFor('gpt-4o');
    expect(gpt4o.text('Hello, world!')).toBe(4);
    expect(gpt4o.text('The quick brown fox jumps over the lazy dog.')).toBe(10);
    expect(gpt4o.text('')).toBe(0);
  });

  it('uses the model family: o200k spends fewer tokens than cl100k on Cyrillic', () => {
    expect(tokenCounterFor('gpt-4o').text('Привет, мир! Как дела?')).toBe(8);
    expect(tokenCounterFor('gpt-4').text('Привет, мир! Как дела?')).toBe(12);
  });

  it('counts special-token text as plain text instead of throwing', () => {
    expect(tokenCounterFor('gpt-4o').text('a <|endoftext|> b')).toBeGreaterThan(3);
  });

  it('adds the per-message, per-name and reply framing to the content tokens', () => {
    const counter = tokenCounterFor('gpt-4o');
    const messages = [
      { role: 'system' as const, content: 'You are terse.' },
      { role: 'user' as const, content: 'Hello, world!', name: 'ada' },
    ];
    const content = counter.text('You are terse.') + counter.text('Hello, world!') + counter.text('ada');
    expect(counter.messages(messages)).toBe(content + 2 * TOKENS_PER_MESSAGE + TOKENS_PER_NAME + TOKENS_PER_REPLY);
    expect(counter.messages([])).toBe(0);
  });

  it('counts tool calls, tool definitions and response schemas into the request', () => {
    const counter = tokenCounterFor('gpt-4o-mini');
    const messages = [{ role: 'user' as const, content: 'Weather in Paris?' }];
    const bare = counter.request({ messages });
    const withTools = counter.request({
      messages,
      tools: [{ name: 'get_weather', description: 'Current weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }],
    });
    const withCall = counter.messages([...messages, { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'get_weather', arguments: '{"city":"Paris"}' }] }]);
    expect(bare).toBe(counter.messages(messages));
    expect(withTools).toBeGreaterThan(bare + 10);
    expect(withCall).toBeGreaterThan(bare + TOKENS_PER_MESSAGE + counter.text('{"city":"Paris"}'));
  });

  it('never counts fewer tokens for more messages', () => {
    const counter = tokenCounterFor('gpt-4o');
    fc.assert(
      fc.property(fc.array(fc.string(), { maxLength: 5 }), fc.string(), (contents, extra) => {
        const messages = contents.map((content) => ({ role: 'user' as const, content }));
        expect(counter.messages([...messages, { role: 'user', content: extra }])).toBeGreaterThan(counter.messages(messages));
      }),
    );
  });
});

describe('promptTokensAtMost', () => {
  const text = fc.string({ unit: 'grapheme', maxLength: 60 });
  const request = fc.record({
    messages: fc.array(
      fc.oneof(
        fc.record({ role: fc.constantFrom('system' as const, 'user' as const), content: text, name: fc.option(text, { nil: undefined }) }),
        fc.record({ role: fc.constant('assistant' as const), content: text, toolCalls: fc.array(fc.record({ id: text, name: text, arguments: text }), { maxLength: 2 }) }),
      ),
      { minLength: 1, maxLength: 4 },
    ),
    tools: fc.option(fc.array(fc.record({ name: text, description: text, parameters: fc.dictionary(text, text, { maxKeys: 3 }) }), { maxLength: 2 }), { nil: undefined }),
  });

  it('is never below the exact count of either encoding, so a prompt it says fits does fit', () => {
    fc.assert(
      fc.property(request, (value) => {
        for (const model of ['gpt-4o', 'gpt-4']) expect(promptTokensAtMost(value)).toBeGreaterThanOrEqual(tokenCounterFor(model).request(value));
      }),
    );
  });
});
