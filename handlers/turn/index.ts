import type { PipelineHandler } from '../pipeline-handler.js';
import { createBuildPromptHandler } from './build-prompt-handler.js';
import { createCallModelHandler } from './call-model-handler.js';
import { createRetrieveHandler, type Retriever } from './retrieve-handler.js';
import type { TurnPipelineDependencies } from './turn-pipeline-context.js';
import { createValidateHandler } from './validate-handler.js';

export type { TurnPipelineDependencies } from './turn-pipeline-context.js';
export { emptyRetriever, type Retriever } from './retrieve-handler.js';

/** Every step of the turn pipeline, each its own durable consumer. */
export function turnPipelineHandlers(dependencies: TurnPipelineDependencies, retriever: Retriever): PipelineHandler[] {
  return [
    createRetrieveHandler(dependencies, retriever),
    createBuildPromptHandler(dependencies),
    createCallModelHandler(dependencies),
    createValidateHandler(dependencies),
  ];
}
