import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ModelMessage } from './model-message.js';
import { NO_CONTEXT_RETRIEVED, renderPrompt } from './render-prompt.js';
import { DEFAULT_PROMPT_TEMPLATE, type PromptTemplate } from './prompt-template.js';
import { trimHistory } from './trim-history.js';

/** One token per word: easy to count by eye. */
const countWords = (text: string) => text.split(/\s+/).filter(Boolean).length;

const template: PromptTemplate = {
  name: 'support',
  version: 3,
  system: 'You answer support questions.',
  developer: 'Never promise refunds.',
  outputFormat: 'json',
  historyTokenBudget: 6,
};

const history: ModelMessage[] = [
  { role: 'user', content: 'one two three' },
  { role: 'assistant', content: 'four five' },
  { role: 'user', content: 'six seven' },
  { role: 'assistant', content: 'eight nine ten' },
];

describe('renderPrompt', () => {
  describe('when the turn retrieved context', () => {
    const chunks = [
      { label: 'doc_1', text: 'Refunds within 30 days.', source: 'policy.md' },
      { label: 'doc_2', text: 'Shipping is free.' },
    ];
    const { messages } = renderPrompt(template, { history: [], userMessage: 'How long?', context: chunks, countTokens: countWords });

    it('puts instructions, context, output format and the user message in that order', () => {
      expect(messages.map((message) => message.role)).toEqual(['system', 'developer', 'system', 'system', 'user']);
      expect(messages[0]?.content).toBe(template.system);
      expect(messages[1]?.content).toBe(template.developer);
      expect(messages[3]?.content).toMatch(/JSON object/);
      expect(messages.at(-1)).toEqual({ role: 'user', content: 'How long?' });
    });

    it('labels each chunk so the answer can cite it', () => {
      expect(messages[2]?.content).toContain('[doc_1] (source: policy.md)\nRefunds within 30 days.');
      expect(messages[2]?.content).toContain('[doc_2]\nShipping is free.');
    });
  });

  describe('when retrieval found nothing', () => {
    it('says so', () => {
      const { messages } = renderPrompt(template, { history: [], userMessage: 'Hi', context: [], countTokens: countWords });
      expect(messages[2]?.content).toContain(NO_CONTEXT_RETRIEVED);
    });
  });

  describe('when the turn is a chat', () => {
    it('adds no context block and no format instruction for text', () => {
      const { messages } = renderPrompt(DEFAULT_PROMPT_TEMPLATE, { history: [], userMessage: 'Hi', countTokens: countWords });
      expect(messages).toEqual([
        { role: 'system', content: DEFAULT_PROMPT_TEMPLATE.system },
        { role: 'user', content: 'Hi' },
      ]);
    });
  });

  describe('when the history is longer than the budget', () => {
    it('keeps the newest messages that fit and says how many it left out', () => {
      const rendered = renderPrompt(template, { history, userMessage: 'eleven', countTokens: countWords });
      expect(rendered.messages.slice(2, -2)).toEqual(history.slice(2));
      expect(rendered.droppedHistoryMessages).toBe(2);
    });

    it('estimates the input as the tokens of every message sent', () => {
      const rendered = renderPrompt({ ...template, developer: undefined, outputFormat: 'text' }, { history, userMessage: 'eleven', countTokens: countWords });
      expect(rendered.estimatedInputTokens).toBe(4 + 5 + 1);
    });
  });
});

describe('trimHistory', () => {
  const toolExchange: ModelMessage[] = [
    { role: 'user', content: 'where is my order' },
    { role: 'assistant', content: '', toolCalls: [{ id: 'call_a', name: 'lookup', arguments: '{}' }] },
    { role: 'tool', content: 'shipped yesterday', toolCallId: 'call_a' },
    { role: 'assistant', content: 'It shipped.' },
  ];

  it('drops a tool call together with its results, never one without the other', () => {
    const { messages } = trimHistory(toolExchange, 4, countWords);
    expect(messages).toEqual([toolExchange[3]]);
    expect(trimHistory(toolExchange, 6, countWords).messages).toEqual(toolExchange.slice(1));
  });

  it('drops tool results whose call is not in the history', () => {
    expect(trimHistory(toolExchange.slice(2), 100, countWords)).toMatchObject({ messages: [toolExchange[3]], dropped: 1 });
  });

  it('keeps a suffix of the history within the budget, whatever the history and budget', () => {
    const message = fc.record({
      role: fc.constantFrom('user' as const, 'assistant' as const),
      content: fc.array(fc.constantFrom('a', 'bb', 'ccc'), { maxLength: 8 }).map((words) => words.join(' ')),
    });
    fc.assert(
      fc.property(fc.array(message, { maxLength: 20 }), fc.nat(40), (messages, budget) => {
        const trimmed = trimHistory(messages, budget, countWords);
        expect(trimmed.tokens).toBeLessThanOrEqual(budget);
        expect(trimmed.messages).toEqual(messages.slice(messages.length - trimmed.messages.length));
        expect(trimmed.dropped).toBe(messages.length - trimmed.messages.length);
      }),
    );
  });
});
