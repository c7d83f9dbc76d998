import { describe, expect, it } from 'vitest';
import { ModelCallError } from '../../model-call-error.js';
import type { ModelRequest, ModelStreamPart } from '../../model-spec.js';
import { createLocalModel } from './create-local-model.js';

const model = createLocalModel();

const withContext: ModelRequest = {
  messages: [
    {
      role: 'system',
      content: [
        'Answer from the context and cite it.',
        '',
        '[doc_1] The Eiffel Tower is in Paris. It was finished in 1889.',
        '[doc_2] Mount Fuji is the highest mountain in Japan.',
        'It last erupted in 1707.',
        '',
        '[doc_3] Bananas are rich in potassium.',
      ].join('\n'),
    },
    { role: 'user', content: 'When did Mount Fuji last erupt?' },
  ],
};

async function collect(parts: AsyncIterable<ModelStreamPart>): Promise<ModelStreamPart[]> {
  const collected: ModelStreamPart[] = [];
  for await (const part of parts) collected.push(part);
  return collected;
}

describe('createLocalModel', () => {
  it('answers with the context sentences that match the question, citing their document', async () => {
    const result = await model.generate(withContext);
    expect(result.text).toContain('It last erupted in 1707. [doc_2]');
    expect(result.text).not.toContain('[doc_1]');
    expect(result.text).not.toContain('[doc_3]');
    expect(result).toMatchObject({ toolCalls: [], finishReason: 'stop', responseModelId: 'local' });
  });

  it('gives the same answer, id and usage to the same request', async () => {
    const first = await model.generate(withContext);
    const second = await createLocalModel().generate(structuredClone(withContext));
    expect(second).toEqual(first);
    expect(first.usage.inputTokens).toBeGreaterThan(first.usage.outputTokens);
  });

  it('finds context in the user message and reads the question from the rest of it', async () => {
    const result = await model.generate({
      messages: [{ role: 'user', content: '[doc_7] Tessera stores every model call as an event.\n\nHow are model calls stored?' }],
    });
    expect(result.text).toBe('Tessera stores every model call as an event. [doc_7]');
  });

  it('says plainly that it has no context, and repeats the question', async () => {
    const result = await model.generate({ messages: [{ role: 'user', content: 'What is the capital of France?' }] });
    expect(result.text).toBe('I have no context to answer from, so I cannot answer: "What is the capital of France?".');
  });

  it('says so when the context does not touch the question', async () => {
    const result = await model.generate({ ...withContext, messages: [withContext.messages[0]!, { role: 'user', content: 'Who painted Guernica?' }] });
    expect(result.text).toMatch(/^The context I was given does not answer/);
    expect(result.text).not.toMatch(/\[doc_\d+\]/);
  });

  it('streams the answer in word-sized deltas that add up to the final text', async () => {
    const parts = await collect(model.stream(withContext));
    const deltas = parts.flatMap((part) => (part.type === 'text-delta' ? [part.text] : []));
    const finish = parts.at(-1);
    if (finish?.type !== 'finish') throw new Error('no finish part');
    expect(deltas.length).toBeGreaterThan(3);
    expect(deltas.every((delta) => delta.trim().split(/\s+/).length === 1)).toBe(true);
    expect(deltas.join('')).toBe(finish.result.text);
    expect(finish.result).toEqual(await model.generate(withContext));
  });

  it('stops at maxOutputTokens with finish reason length', async () => {
    const result = await model.generate({ ...withContext, maxOutputTokens: 3 });
    expect(result.finishReason).toBe('length');
    expect(result.usage.outputTokens).toBeLessThanOrEqual(3);
    expect((await model.generate(withContext)).text.startsWith(result.text)).toBe(true);
  });

  it('honours an aborted signal', async () => {
    const controller = new AbortController();
    controller.abort();
    const error: unknown = await model.generate({ ...withContext, abortSignal: controller.signal }).catch((thrown: unknown) => thrown);
    expect(ModelCallError.isInstance(error) && error.kind).toBe('aborted');
  });
});
