import { createHash } from 'node:crypto';

/**
 * The store's statements are a handful of constant texts, so naming each after its
 * text stays bounded; past the bound (texts built from values) statements go unnamed.
 */
const MAX_NAMED_STATEMENTS = 64;

/** Names for statements sent as named prepared statements; `undefined` when a text goes unnamed. */
export function createStatementNames(enabled = true): (text: string) => string | undefined {
  const names = new Map<string, string>();
  return (text) => {
    if (!enabled) return undefined;
    let name = names.get(text);
    if (name === undefined && names.size < MAX_NAMED_STATEMENTS) {
      name = `tessera_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
      names.set(text, name);
    }
    return name;
  };
}
