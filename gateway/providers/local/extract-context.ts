import type { ModelMessage } from '../../model-spec.js';

export interface ContextChunk {
  /** The label as written, e.g. `doc_2`. */
  label: string;
  text: string;
}

export interface PromptContext {
  chunks: ContextChunk[];
  /** The last user message without its context chunks: what is being asked. */
  question: string;
}

const LABEL = /^\s*\[(doc_\d+)\]\s?(.*)$/;

/**
 * Reads the retrieved context the prompt builder wrote into system, developer and user
 * messages: a line starting with `[doc_N]` opens a chunk, which runs until the next label
 * or a blank line. Assistant and tool messages are not context: the local model must not
 * cite its own earlier answers.
 */
export function extractContext(messages: readonly ModelMessage[]): PromptContext {
  const chunks: ContextChunk[] = [];
  let question = '';
  for (const message of messages) {
    if (message.role !== 'system' && message.role !== 'developer' && message.role !== 'user') continue;
    const parsed = splitMessage(message.content);
    chunks.push(...parsed.chunks);
    if (message.role === 'user') question = parsed.rest || message.content.trim();
  }
  return { chunks, question };
}

function splitMessage(content: string): { chunks: ContextChunk[]; rest: string } {
  const chunks: ContextChunk[] = [];
  const rest: string[] = [];
  let open: ContextChunk | undefined;
  for (const line of content.split(/\r?\n/)) {
    const label = LABEL.exec(line);
    if (label) {
      open = { label: label[1] ?? '', text: (label[2] ?? '').trim() };
      chunks.push(open);
    } else if (line.trim() === '') {
      open = undefined;
    } else if (open) {
      open.text = `${open.text} ${line.trim()}`.trim();
    } else {
      rest.push(line.trim());
    }
  }
  return { chunks: chunks.filter((chunk) => chunk.text.length > 0), rest: rest.join(' ').trim() };
}
