import { nextAction } from '../../domain/turn/next-action.js';
import type { PipelineHandler } from '../pipeline-handler.js';
import type { RecordContextRetrieved } from '../../domain/turn/turn-command.js';
import type { TurnState } from '../../domain/turn/turn-state.js';
import { loadTurnForHandler, runTurnCommand, turnIdOf, type TurnPipelineDependencies } from './turn-pipeline-context.js';

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
      const command = await retrieveCommand(await loadTurnForHandler(dependencies, turnIdOf(event)), retriever);
      if (command) await runTurnCommand(dependencies.store, event, 'retrieve', command);
    },
  };
}

/** ContextRetrieved for a turn that needs context next. */
export async function retrieveCommand(state: TurnState, retriever: Retriever): Promise<RecordContextRetrieved | undefined> {
  if (nextAction(state) !== 'retrieve' || state.status === 'none') return undefined;
  const found = await retriever.retrieve({ tenantId: state.request.tenantId, query: state.request.message });
  return {
    type: 'RecordContextRetrieved',
    data: { query: found.query, chunks: found.chunks.map((chunk, index) => ({ ...chunk, label: `doc_${index + 1}` })) },
  };
}

/** Until documents can be ingested there is nothing to search: every query finds nothing. */
export const emptyRetriever: Retriever = {
  retrieve: async ({ query }) => ({ query, chunks: [] }),
};
