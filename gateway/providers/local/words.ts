/** Lower-case words (letters and digits, any script), in order. */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/**
 * Words too common to say what a sentence is about; without this list "what is the"
 * would match every sentence. Short on purpose: it only has to break ties sensibly.
 */
const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    'a an and are as at be been but by can could did do does for from had has have how i if in into is it its ' +
    'me my no not of on or our so than that the their them then there these they this those to was we were what ' +
    'when where which who whom why will with would you your about tell please'
  ).split(' '),
);

/** The words of a text that carry meaning, without duplicates. */
export function contentWords(text: string): Set<string> {
  return new Set(words(text).filter((word) => !STOP_WORDS.has(word)));
}

/**
 * 32-bit FNV-1a over the UTF-8 bytes: tiny, stable across runs and platforms, and good
 * enough at spreading words over buckets.
 */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
