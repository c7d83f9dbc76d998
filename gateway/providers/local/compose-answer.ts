import type { ContextChunk } from './extract-context.js';
import { contentWords } from './words.js';

/** Enough to answer most factual questions from a few chunks without pasting whole documents. */
const MAX_SENTENCES = 3;
const MAX_QUOTED_QUESTION = 120;

interface Candidate {
  sentence: string;
  label: string;
  score: number;
  /** Position in the prompt, for stable ordering. */
  order: number;
}

/**
 * The extractive answer: the context sentences sharing the most meaningful words with the
 * question, in the order they appear in the prompt, each followed by its citation. It
 * says plainly when there is no context, or when the context does not touch the question,
 * rather than inventing an answer.
 */
export function composeAnswer(chunks: readonly ContextChunk[], question: string): string {
  if (chunks.length === 0) {
    return question === ''
      ? 'I have no context to answer from.'
      : `I have no context to answer from, so I cannot answer: "${shorten(question)}".`;
  }
  const asked = contentWords(question);
  const candidates: Candidate[] = [];
  for (const chunk of chunks) {
    for (const sentence of splitSentences(chunk.text)) {
      const score = [...contentWords(sentence)].filter((word) => asked.has(word)).length;
      if (score > 0) candidates.push({ sentence, label: chunk.label, score, order: candidates.length });
    }
  }
  if (candidates.length === 0) {
    return `The context I was given does not answer: "${shorten(question)}".`;
  }
  return candidates
    .sort((left, right) => right.score - left.score || left.order - right.order)
    .slice(0, MAX_SENTENCES)
    .sort((left, right) => left.order - right.order)
    .map((candidate) => `${candidate.sentence} [${candidate.label}]`)
    .join(' ');
}

export function splitSentences(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+/)
    .map((sentence) => sentence.trim())
    .filter((sentence) => sentence.length > 0);
}

function shorten(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length <= MAX_QUOTED_QUESTION ? oneLine : `${oneLine.slice(0, MAX_QUOTED_QUESTION - 1)}…`;
}
