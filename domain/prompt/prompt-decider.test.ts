import { describe, expect, it } from 'vitest';
import { createEventRegistry } from '../events/all-event-types.js';
import { deciderSpecification } from '../shared/decider-specification.js';
import { promptDecider, promptVersion, type PublishPromptVersion } from './prompt-decider.js';
import { PromptNameMismatchError, PromptNotFoundError, PromptVersionConflictError } from './prompt-errors.js';
import type { PromptEvent } from './prompt-version-published.js';

const given = deciderSpecification(promptDecider);
const now = new Date('2026-03-01T12:00:00.000Z');

const publish = (version: number, system = `support v${version}`): PublishPromptVersion => ({
  type: 'PublishPromptVersion',
  data: { name: 'support', version, system, outputFormat: 'text', historyTokenBudget: 2_000, now },
});
const published = (version: number, system = `support v${version}`): PromptEvent => ({
  type: 'PromptVersionPublished',
  data: { name: 'support', version, system, outputFormat: 'text', historyTokenBudget: 2_000, publishedAt: now.toISOString() },
});

describe('prompt', () => {
  describe('when nothing was published', () => {
    it('publishes version 1', () => {
      given([]).when(publish(1)).then([published(1)]);
    });

    it('refuses any other first version', () => {
      given([]).when(publish(2)).thenThrows(PromptVersionConflictError, { field: 'version', expectedVersion: 1 });
    });

    it('has no version to render', () => {
      expect(() => promptVersion(given([]).state(), 'support')).toThrow(PromptNotFoundError);
    });
  });

  it('writes data the registry accepts, refusing a name no stream id can hold', () => {
    const registry = createEventRegistry();
    expect(registry.encode('PromptVersionPublished', published(1).data).data).toEqual(published(1).data);
    expect(() => registry.encode('PromptVersionPublished', { ...published(1).data, name: 'has space' })).toThrow(
      expect.objectContaining({ field: 'data.name' }) as Error,
    );
  });

  describe('when versions were published', () => {
    const history = [published(1), published(2)];

    it('publishes the next one', () => {
      given(history).when(publish(3)).then([published(3)]);
    });

    it('refuses a version that skips or goes back', () => {
      given(history).when(publish(4)).thenThrows(PromptVersionConflictError, { code: 'TESSERA_PROMPT_VERSION_CONFLICT' });
      given(history).when(publish(1)).thenThrows(PromptVersionConflictError);
    });

    it('treats the same latest version published again as already done, but not a different text', () => {
      given(history).when(publish(2)).thenNothingHappened();
      given(history).when(publish(2, 'something else')).thenThrows(PromptVersionConflictError);
    });

    it('refuses another prompt name on this stream', () => {
      const other = publish(3);
      other.data.name = 'sales';
      given(history).when(other).thenThrows(PromptNameMismatchError, { field: 'name' });
    });

    it('renders the latest version, or the one asked for', () => {
      const state = given(history).state();
      expect(promptVersion(state, 'support').version).toBe(2);
      expect(promptVersion(state, 'support', 1).system).toBe('support v1');
      expect(() => promptVersion(state, 'support', 7)).toThrow(PromptNotFoundError);
    });
  });
});
