import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishPromptVersion } from '../../commands/prompts.js';
import { streamId } from '../../domain/shared/stream-id.js';
import type { PromptBuiltData } from '../../domain/turn/events/prompt-built.js';
import { startTessera, type RunningTessera } from '../support/tessera-harness.js';

/** A conversation naming a published prompt renders its latest version, and PromptBuilt says which. */
describe.each(['embedded', 'services'] as const)('versioned prompt templates (%s profile)', (profile) => {
  let tessera: RunningTessera;

  beforeAll(async () => {
    tessera = await startTessera(profile);
  });
  afterAll(() => tessera.close());

  const call = async (path: string, body: unknown) => {
    const response = await fetch(`${tessera.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tessera.tenant.key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return (await response.json()) as { id: string };
  };

  const promptOfTurn = async (turnId: string): Promise<PromptBuiltData> => {
    for (;;) {
      const { events } = await tessera.backend.store.readStream(streamId('turn', turnId));
      const built = events.find((event) => event.type === 'PromptBuilt');
      if (built && events.some((event) => event.type === 'TurnCompleted')) return built.data as PromptBuiltData;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  it('uses the newest published version and records its name, version and parameters', async () => {
    const name = 'support.answer';
    expect(await publishPromptVersion(tessera.backend.store, { name, system: 'You are the support desk, version one.', temperature: 0.2 }, 'test')).toBe(1);
    expect(await publishPromptVersion(tessera.backend.store, { name, system: 'You are the support desk, version two.', temperature: 0.1, maxOutputTokens: 300 }, 'test')).toBe(2);

    const conversation = await call('/v1/conversations', { promptName: name });
    const turn = await call(`/v1/conversations/${conversation.id}/turns`, { message: 'Where is my parcel?' });
    const prompt = await promptOfTurn(turn.id);

    expect(prompt.promptName).toBe(name);
    expect(prompt.promptVersion).toBe(2);
    expect(prompt.messages[0]).toEqual({ role: 'system', content: 'You are the support desk, version two.' });
    expect(prompt.messages.at(-1)).toEqual({ role: 'user', content: 'Where is my parcel?' });
    expect(prompt.parameters).toMatchObject({ temperature: 0.1, maxOutputTokens: 300 });
  });

  it('lets the request override the template parameters', async () => {
    const conversation = await call('/v1/conversations', { promptName: 'support.answer' });
    const turn = await call(`/v1/conversations/${conversation.id}/turns`, { message: 'Hi', temperature: 0.9 });
    expect((await promptOfTurn(turn.id)).parameters.temperature).toBe(0.9);
  });

  it('falls back to the built-in default for a conversation that names no prompt', async () => {
    const conversation = await call('/v1/conversations', {});
    const turn = await call(`/v1/conversations/${conversation.id}/turns`, { message: 'Hi' });
    const prompt = await promptOfTurn(turn.id);
    expect(prompt).toMatchObject({ promptName: 'default', promptVersion: 0 });
  });
});
