export { createLocalModel, type LocalModelOptions } from './create-local-model.js';
export { createLocalEmbeddingModel, type LocalEmbeddingModelOptions } from './create-local-embedding-model.js';
export { cosineSimilarity } from './lexical-embedding.js';
