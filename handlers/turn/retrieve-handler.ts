import { nextAction } from '../../domain/turn/next-action.js';
import type { PipelineHandler } from '../pipeline-handler.js';
import { loadTurn, runTurnCommand, turnIdOf, type TurnPipelineDependencies } from './turn-pipeline-context.js';

/** Finds context for a rag turn. */
export interface Retriever {
  retrieve(input: { tenantId: string; query: string }): Promise<{ query: string; chunks: { docId: string; text: string; score: number; source?: string }[] }>;
}

/**
 * TurnRequested (mode rag) → ContextRetrieved. Chunks are labelled doc_1, doc_2… by
 * rank; an empty result is recorded too, and the prompt then says no context was found.
 */
export function createRetrieveHandler(dependencies: TurnPipelineDependencies, retriever: Retriever): PipelineHandler {
  return {
    name: 'turn-retrieve',
    category: 'turn',
    eventTypes: ['TurnRequested'],
    async handle(event) {
      const state = await loadTurn(dependencies.store, turnIdOf(event));
      if (nextAction(state) !== 'retrieve' || state.status === 'none') return;
      const found = await retriever.retrieve({ tenantId: state.request.tenantId, query: state.request.message });
      await runTurnCommand(dependencies.store, event, 'retrieve', {
        type: 'RecordContextRetrieved',
        data: { query: found.query, chunks: found.chunks.map((chunk, index) => ({ ...chunk, label: `doc_${index + 1}` })) },
      });
    },
  };
}

/** Until documents can be ingested there is nothing to search: every query finds nothing. */
export const emptyRetriever: Retriever = {
  retrieve: async ({ query }) => ({ query, chunks: [] }),
};
