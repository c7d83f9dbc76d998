export { createOpenAiCompatibleModel, type OpenAiCompatibleModelOptions } from './create-openai-compatible-model.js';
export {
  createOpenAiCompatibleEmbeddingModel,
  type OpenAiCompatibleEmbeddingModelOptions,
} from './create-openai-compatible-embedding-model.js';
export type { OpenAiCompatibleConnection } from './create-client.js';
export type { DeveloperRole } from './map-messages.js';
