import type { ModelMessage } from '../model-spec.js';

/**
 * A rough token count (about four characters per token, the usual rule of thumb for
 * English with BPE tokenizers). Good enough for the offline provider and the fake
 * upstream, which must report some usage; budgets and context-window checks need a real
 * tokenizer per model family, which is a separate concern.
 */
export function countTokensApproximately(text: string): number {
  if (text.length === 0) return 0;
  return Math.ceil(text.length / 4);
}

/** Chat formats add a few tokens of framing per message; three is what OpenAI documents. */
const TOKENS_PER_MESSAGE = 3;

export function countMessageTokensApproximately(messages: readonly ModelMessage[]): number {
  let total = 0;
  for (const message of messages) {
    total += TOKENS_PER_MESSAGE + countTokensApproximately(message.content);
    if (message.role === 'assistant') {
      for (const toolCall of message.toolCalls ?? []) {
        total += countTokensApproximately(toolCall.name) + countTokensApproximately(toolCall.arguments);
      }
    }
  }
  return total;
}
