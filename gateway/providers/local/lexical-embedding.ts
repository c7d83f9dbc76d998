import { fnv1a, words } from './words.js';

/** Bigrams count less than words: they sharpen phrase matches without drowning single words. */
const BIGRAM_WEIGHT = 0.5;

/**
 * A lexical hashing embedding (the "hashing trick"): every word and word bigram adds ±1
 * to one of `dimensions` buckets, chosen by a stable hash; the vector is then scaled to
 * unit length. Texts sharing words get a high cosine similarity; nothing is learned, so
 * synonyms do not match. A text without words gets the zero vector: it is like nothing.
 */
export function embedLexically(text: string, dimensions: number): number[] {
  if (!Number.isInteger(dimensions) || dimensions < 1) {
    throw new RangeError(`dimensions must be a positive integer, got ${dimensions}`);
  }
  const tokens = words(text);
  const signed = hashFeatures(tokens, dimensions, true);
  // Signs can cancel exactly (few buckets, or an unlucky pair of words): a text with words
  // must still point somewhere, so it falls back to unsigned counts.
  const vector = tokens.length > 0 && norm(signed) === 0 ? hashFeatures(tokens, dimensions, false) : signed;
  const length = norm(vector);
  return length === 0 ? vector : vector.map((value) => value / length);
}

function hashFeatures(tokens: readonly string[], dimensions: number, signed: boolean): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  const add = (feature: string, weight: number): void => {
    const hash = fnv1a(feature);
    // The top bit picks the sign, so colliding features tend to cancel instead of pile up.
    const sign = signed && hash & 0x80000000 ? -1 : 1;
    const bucket = hash % dimensions;
    vector[bucket] = (vector[bucket] ?? 0) + sign * weight;
  };
  tokens.forEach((word, index) => {
    add(word, 1);
    const next = tokens[index + 1];
    if (next !== undefined) add(`${word} ${next}`, BIGRAM_WEIGHT);
  });
  return vector;
}

function norm(vector: readonly number[]): number {
  return Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0));
}

/** Cosine similarity of two vectors of the same length; 0 when either is the zero vector. */
export function cosineSimilarity(left: readonly number[], right: readonly number[]): number {
  let dot = 0;
  let leftSquared = 0;
  let rightSquared = 0;
  left.forEach((value, index) => {
    const other = right[index] ?? 0;
    dot += value * other;
    leftSquared += value * value;
    rightSquared += other * other;
  });
  if (leftSquared === 0 || rightSquared === 0) return 0;
  return dot / Math.sqrt(leftSquared * rightSquared);
}
