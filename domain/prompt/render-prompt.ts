import type { ModelMessage } from './model-message.js';
import type { PromptTemplate } from './prompt-template.js';
import { messageTokens, trimHistory, type CountTokens } from './trim-history.js';

/** A retrieved chunk as the prompt shows it; `label` is `doc_N`, which answers cite. */
export interface PromptContextChunk {
  label: string;
  text: string;
  source?: string;
}

export interface RenderPromptInput {
  /** Earlier messages of the conversation, oldest first. */
  history: readonly ModelMessage[];
  userMessage: string;
  /**
   * The chunks retrieval found. Absent when the turn did not retrieve (mode chat); an
   * empty list when it retrieved and found nothing, which the prompt then says.
   */
  context?: readonly PromptContextChunk[];
  countTokens: CountTokens;
}

export interface RenderedPrompt {
  messages: ModelMessage[];
  estimatedInputTokens: number;
  /** History messages left out to stay within the template's budget. */
  droppedHistoryMessages: number;
}

export const NO_CONTEXT_RETRIEVED = 'No context was retrieved.';

const JSON_OUTPUT_INSTRUCTION =
  'Answer with one JSON object and nothing else: no prose before or after it, no Markdown code fence.';

/**
 * The messages of one model call: instructions, the newest history that fits the
 * template's budget, the retrieved context, the output format, then the user's message.
 * Pure: the same template and input always give the same messages, which is what lets
 * a recorded PromptBuilt be checked against its inputs.
 */
export function renderPrompt(template: PromptTemplate, input: RenderPromptInput): RenderedPrompt {
  const history = trimHistory(input.history, template.historyTokenBudget, input.countTokens);
  const messages: ModelMessage[] = [{ role: 'system', content: template.system }];
  if (template.developer) messages.push({ role: 'developer', content: template.developer });
  messages.push(...history.messages);
  if (input.context) messages.push({ role: 'system', content: contextBlock(input.context) });
  if (template.outputFormat === 'json') messages.push({ role: 'system', content: JSON_OUTPUT_INSTRUCTION });
  messages.push({ role: 'user', content: input.userMessage });
  return {
    messages,
    estimatedInputTokens: messages.reduce((sum, message) => sum + messageTokens(message, input.countTokens), 0),
    droppedHistoryMessages: history.dropped,
  };
}

function contextBlock(chunks: readonly PromptContextChunk[]): string {
  if (chunks.length === 0) {
    return `${NO_CONTEXT_RETRIEVED} If the conversation does not hold the answer, say that you do not know.`;
  }
  const sections = chunks.map((chunk) => {
    const source = chunk.source ? ` (source: ${chunk.source})` : '';
    return `[${chunk.label}]${source}\n${chunk.text}`;
  });
  return ['Context. Cite the sources you use by their label, as [doc_N].', ...sections].join('\n\n');
}
