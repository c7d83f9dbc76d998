import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { directivesForModel, resolveScenario, scenarioFromDirectives } from './fake-scenario.js';
import { FakeDirectiveError, parseDirectiveHeader, parseDirectives, stripDirectives } from './parse-directives.js';

describe('parseDirectives', () => {
  it('reads quoted strings, JSON values, bare words and flags, in order', () => {
    expect(parseDirectives('Hi [[fake: reply="say \\"hi\\" ]] now" tool=get_weather args={"city":"Paris [1]"} delay=50 context-overflow]] there')).toEqual([
      { key: 'reply', value: 'say "hi" ]] now' },
      { key: 'tool', value: 'get_weather' },
      { key: 'args', value: '{"city":"Paris [1]"}' },
      { key: 'delay', value: '50' },
      { key: 'context-overflow', value: true },
    ]);
  });

  it('reads every block in the text', () => {
    expect(parseDirectives('[[fake: status=429]] text [[fake:retry-after=1]]')).toEqual([
      { key: 'status', value: '429' },
      { key: 'retry-after', value: '1' },
    ]);
  });

  it('finds nothing in text without blocks', () => {
    expect(parseDirectives('just a [[question]] about fake: things')).toEqual([]);
  });

  it.each([['[[fake: reply="open'], ['[[fake: delay=5'], ['[[fake: args={"a":1]]'], ['[[fake: =5]]'], ['[[fake: delay=]]']])(
    'rejects the malformed %s',
    (text) => {
      expect(() => parseDirectives(text)).toThrow(FakeDirectiveError);
    },
  );

  it('round-trips any reply text through a quoted value', () => {
    fc.assert(
      fc.property(fc.string(), (reply) => {
        expect(parseDirectives(`before [[fake: reply=${JSON.stringify(reply)} delay=1]] after`)).toEqual([
          { key: 'reply', value: reply },
          { key: 'delay', value: '1' },
        ]);
      }),
    );
  });
});

describe('parseDirectiveHeader', () => {
  it('accepts bare pairs or whole blocks', () => {
    expect(parseDirectiveHeader('status=500 delay=10')).toEqual(parseDirectiveHeader('[[fake: status=500 delay=10]]'));
  });
});

describe('stripDirectives', () => {
  it('removes the blocks and keeps the rest of the prompt', () => {
    expect(stripDirectives('What is [[fake: delay=5 reply="x"]] the time?')).toBe('What is the time?');
  });
});

describe('scenarioFromDirectives', () => {
  it('pairs args with the tool before them and lets later values win', () => {
    const scenario = scenarioFromDirectives(
      parseDirectives('[[fake: tool=a args={"x":1} tool=b delay=5 delay=10 status=429 retry-after=2 cached-tokens=3]]'),
    );
    expect(scenario).toMatchObject({
      toolCalls: [
        { name: 'a', arguments: '{"x":1}' },
        { name: 'b', arguments: '{}' },
      ],
      delayMs: 10,
      status: 429,
      retryAfter: '2',
      cachedTokens: 3,
      contextOverflow: false,
    });
  });

  it.each([['[[fake: colour=red]]'], ['[[fake: args={}]]'], ['[[fake: status=abc]]'], ['[[fake: status=99]]'], ['[[fake: reply]]']])(
    'rejects %s',
    (text) => {
      expect(() => scenarioFromDirectives(parseDirectives(text))).toThrow(FakeDirectiveError);
    },
  );
});

describe('resolveScenario', () => {
  it('applies the model name, then the prompt, then the header', () => {
    expect(directivesForModel('fake-fail-500')).toEqual([{ key: 'status', value: '500' }]);
    expect(directivesForModel('fake-context-100')).toEqual([{ key: 'context-window', value: '100' }]);
    expect(directivesForModel('gpt-4o')).toEqual([]);
    const scenario = resolveScenario({ model: 'fake-fail-500', texts: ['[[fake: status=429 delay=5]]'], header: 'delay=7' });
    expect(scenario).toMatchObject({ status: 429, delayMs: 7 });
  });
});
