import { describe, expect, it } from 'vitest';
import type { ModelRequest } from '../../model-spec.js';
import { mapRequest } from './map-request.js';

const conversation: ModelRequest = {
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'developer', content: 'Cite sources.' },
    { role: 'user', content: 'Weather in Paris?', name: 'ana' },
    { role: 'assistant', content: '', toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' }] },
    { role: 'tool', content: '{"celsius":21}', toolCallId: 'call_1' },
    { role: 'assistant', content: 'It is 21 °C.' },
  ],
};

describe('mapRequest', () => {
  it('maps every role, assistant tool calls and tool results', () => {
    expect(mapRequest('gpt-x', conversation).messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'developer', content: 'Cite sources.' },
      { role: 'user', content: 'Weather in Paris?', name: 'ana' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
      },
      { role: 'tool', content: '{"celsius":21}', tool_call_id: 'call_1' },
      { role: 'assistant', content: 'It is 21 °C.' },
    ]);
  });

  it('sends developer messages as system when the server needs it', () => {
    expect(mapRequest('llama', conversation, { developerRole: 'system' }).messages[1]).toEqual({ role: 'system', content: 'Cite sources.' });
  });

  it('maps tools, tool choice, response format and sampling parameters', () => {
    const parameters = mapRequest(
      'gpt-x',
      {
        messages: [{ role: 'user', content: 'hi' }],
        tools: [{ name: 'get_weather', description: 'Weather now', parameters: { type: 'object' }, strict: true }],
        toolChoice: { name: 'get_weather' },
        parallelToolCalls: false,
        responseFormat: { type: 'json_schema', name: 'answer', schema: { type: 'object' }, strict: true },
        temperature: 0.2,
        topP: 0.9,
        presencePenalty: 0.5,
        frequencyPenalty: -0.25,
        logitBias: { '50256': -100 },
        reasoningEffort: 'low',
        maxOutputTokens: 256,
        seed: 7,
        stop: ['END'],
        user: 'user-42',
      },
    );
    expect(parameters).toEqual({
      model: 'gpt-x',
      messages: [{ role: 'user', content: 'hi' }],
      tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather now', parameters: { type: 'object' }, strict: true } }],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      parallel_tool_calls: false,
      response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object' }, strict: true } },
      temperature: 0.2,
      top_p: 0.9,
      presence_penalty: 0.5,
      frequency_penalty: -0.25,
      logit_bias: { '50256': -100 },
      reasoning_effort: 'low',
      max_tokens: 256,
      seed: 7,
      stop: ['END'],
      user: 'user-42',
    });
  });

  it('names the output cap as the server wants it', () => {
    const request: ModelRequest = { messages: [{ role: 'user', content: 'hi' }], maxOutputTokens: 64 };
    expect(mapRequest('m', request)).toMatchObject({ max_tokens: 64 });
    const reasoning = mapRequest('o-x', request, { outputTokensField: 'max_completion_tokens' });
    expect(reasoning).toMatchObject({ max_completion_tokens: 64 });
    expect(reasoning).not.toHaveProperty('max_tokens');
  });

  it('sends parallel_tool_calls only with tools, which servers require for it', () => {
    expect(mapRequest('m', { messages: [], parallelToolCalls: false })).not.toHaveProperty('parallel_tool_calls');
  });

  it('passes string tool choices and simple response formats through', () => {
    const parameters = mapRequest('m', { messages: [], toolChoice: 'required', responseFormat: { type: 'json_object' } });
    expect(parameters.tool_choice).toBe('required');
    expect(parameters.response_format).toEqual({ type: 'json_object' });
  });

  it('sends nothing the request does not set, so the server keeps its defaults', () => {
    expect(mapRequest('m', { messages: [{ role: 'user', content: 'hi' }], tools: [], stop: [] })).toEqual({
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
    });
  });
});
