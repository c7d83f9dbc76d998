/**
 * The fake upstream's directive language. A test picks the upstream's behaviour from the
 * request itself, so tests share no server state:
 *
 *   [[fake: reply="Hello there" delay=50]]
 *   [[fake: tool=get_weather args={"city":"Paris"} tool=get_time args={"zone":"CET"}]]
 *
 * A block holds `key=value` pairs and bare flags (`context-overflow`). A value is a JSON
 * string (`"..."`), a JSON object or array (`{...}`, `[...]`, kept as raw text) or a bare
 * word. Order is kept, because `args` belongs to the `tool` before it.
 */
export interface FakeDirective {
  key: string;
  /** Raw text of the value; `true` for a bare flag. */
  value: string | true;
}

export interface DirectiveBlock {
  start: number;
  /** Index just past the closing `]]`. */
  end: number;
  directives: FakeDirective[];
}

export class FakeDirectiveError extends Error {
  override name = 'FakeDirectiveError';
}

const OPENING = '[[fake:';
const CLOSING = ']]';

export function findDirectiveBlocks(text: string): DirectiveBlock[] {
  const blocks: DirectiveBlock[] = [];
  let from = text.indexOf(OPENING);
  while (from !== -1) {
    const { directives, end } = readPairs(text, from + OPENING.length, true);
    blocks.push({ start: from, end, directives });
    from = text.indexOf(OPENING, end);
  }
  return blocks;
}

/** Every directive in the text, block after block. */
export function parseDirectives(text: string): FakeDirective[] {
  return findDirectiveBlocks(text).flatMap((block) => block.directives);
}

/** For the `x-fake-scenario` header: either blocks, or the pairs on their own. */
export function parseDirectiveHeader(header: string): FakeDirective[] {
  if (header.includes(OPENING)) return parseDirectives(header);
  return readPairs(header, 0, false).directives;
}

/** The text with its directive blocks removed, so a default echo repeats only the prompt. */
export function stripDirectives(text: string): string {
  let result = '';
  let cursor = 0;
  for (const block of findDirectiveBlocks(text)) {
    result += text.slice(cursor, block.start);
    cursor = block.end;
  }
  return (result + text.slice(cursor)).replace(/[ \t]{2,}/g, ' ').trim();
}

function readPairs(text: string, from: number, inBlock: boolean): { directives: FakeDirective[]; end: number } {
  const directives: FakeDirective[] = [];
  let position = from;
  for (;;) {
    while (position < text.length && /\s/.test(text.charAt(position))) position += 1;
    if (inBlock && text.startsWith(CLOSING, position)) return { directives, end: position + CLOSING.length };
    if (position >= text.length) {
      if (inBlock) throw new FakeDirectiveError(`unterminated [[fake: ...]] block starting at ${from}`);
      return { directives, end: position };
    }
    const key = /^[a-z][a-z0-9-]*/.exec(text.slice(position))?.[0];
    if (key === undefined) throw new FakeDirectiveError(`expected a directive name at ${position} in ${JSON.stringify(text)}`);
    position += key.length;
    if (text.charAt(position) !== '=') {
      directives.push({ key, value: true });
      continue;
    }
    position += 1;
    const value = readValue(text, position);
    directives.push({ key, value: value.text });
    position = value.end;
  }
}

function readValue(text: string, from: number): { text: string; end: number } {
  const first = text.charAt(from);
  if (first === '"') {
    const end = skipString(text, from);
    return { text: JSON.parse(text.slice(from, end)) as string, end };
  }
  if (first === '{' || first === '[') {
    const end = skipJson(text, from);
    return { text: text.slice(from, end), end };
  }
  let end = from;
  while (end < text.length && !/\s/.test(text.charAt(end)) && !text.startsWith(CLOSING, end)) end += 1;
  if (end === from) throw new FakeDirectiveError(`missing value at ${from}`);
  return { text: text.slice(from, end), end };
}

/** Index just past the closing quote of the JSON string starting at `from`. */
function skipString(text: string, from: number): number {
  for (let position = from + 1; position < text.length; position += 1) {
    const character = text.charAt(position);
    if (character === '\\') position += 1;
    else if (character === '"') return position + 1;
  }
  throw new FakeDirectiveError(`unterminated string at ${from}`);
}

/** Index just past the bracket closing the JSON object or array starting at `from`. */
function skipJson(text: string, from: number): number {
  let depth = 0;
  for (let position = from; position < text.length; position += 1) {
    const character = text.charAt(position);
    if (character === '"') position = skipString(text, position) - 1;
    else if (character === '{' || character === '[') depth += 1;
    else if (character === '}' || character === ']') {
      depth -= 1;
      if (depth === 0) return position + 1;
    }
  }
  throw new FakeDirectiveError(`unbalanced JSON value at ${from}`);
}
