import { ModelCallError } from './model-call-error.js';
import type { EmbeddingModel, LanguageModel } from './model-spec.js';

/**
 * Aliases (`chat/default`, `embed/default`) to models. Routing, fallbacks, retries and
 * breakers wrap what this returns; the registry only knows names.
 */
export interface ModelRegistry {
  chatAliases(): string[];
  embeddingAliases(): string[];
  languageModel(alias: string | undefined): LanguageModel;
  /** The alias a task type runs on (classify → chat/cheap, say); `chat/default` without routing. */
  aliasForTask(task: string): string;
  embeddingModel(alias: string | undefined): EmbeddingModel;
}

export const DEFAULT_CHAT_ALIAS = 'chat/default';
export const DEFAULT_EMBEDDING_ALIAS = 'embed/default';

export function createModelRegistry(
  chat: Record<string, LanguageModel>,
  embeddings: Record<string, EmbeddingModel>,
  aliasForTask: (task: string) => string = () => DEFAULT_CHAT_ALIAS,
): ModelRegistry {
  const unknown = (alias: string, known: string[]) =>
    new ModelCallError('bad-request', `unknown model "${alias}"; configured: ${known.join(', ')}`);
  return {
    chatAliases: () => Object.keys(chat),
    aliasForTask,
    embeddingAliases: () => Object.keys(embeddings),
    languageModel(alias) {
      const model = chat[alias ?? DEFAULT_CHAT_ALIAS];
      if (!model) throw unknown(alias ?? DEFAULT_CHAT_ALIAS, Object.keys(chat));
      return model;
    },
    embeddingModel(alias) {
      const model = embeddings[alias ?? DEFAULT_EMBEDDING_ALIAS];
      if (!model) throw unknown(alias ?? DEFAULT_EMBEDDING_ALIAS, Object.keys(embeddings));
      return model;
    },
  };
}
