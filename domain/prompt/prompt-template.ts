import type { PromptVersionPublishedData } from './prompt-version-published.js';

/** What a prompt version holds, whether published on a stream or built in. */
export type PromptTemplate = Omit<PromptVersionPublishedData, 'publishedAt'>;

export const DEFAULT_PROMPT_NAME = 'default';

/**
 * The template of conversations that name no prompt. Its version is 0 so that
 * publishing `default` version 1 replaces it without two templates sharing a version
 * in PromptBuilt events.
 */
export const DEFAULT_PROMPT_TEMPLATE: PromptTemplate = {
  name: DEFAULT_PROMPT_NAME,
  version: 0,
  system: [
    'You are a helpful assistant. Answer accurately and concisely.',
    'When context is provided, base your answer on it and cite the sources you use as [doc_N].',
    'If you do not know the answer, say so instead of guessing.',
  ].join('\n'),
  outputFormat: 'text',
  historyTokenBudget: 4_000,
};
