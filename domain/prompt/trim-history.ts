import type { ModelMessage } from './model-message.js';

/** Counts the tokens of a text for the model the prompt is meant for. Must be pure. */
export type CountTokens = (text: string) => number;

export interface TrimmedHistory {
  messages: ModelMessage[];
  /** How many of the oldest messages were left out to fit the budget. */
  dropped: number;
  tokens: number;
}

/**
 * Keeps the newest history that fits in `budget` tokens. Messages are dropped from the
 * oldest in exchanges: an assistant message that called tools goes together with the
 * tool results that answer it, because providers refuse a tool result whose call is
 * missing. Tool results with no call before them are dropped for the same reason.
 */
export function trimHistory(history: readonly ModelMessage[], budget: number, countTokens: CountTokens): TrimmedHistory {
  const exchanges = groupExchanges(history);
  const kept: ModelMessage[][] = [];
  let tokens = 0;
  for (let index = exchanges.length - 1; index >= 0; index -= 1) {
    const exchange = exchanges[index] ?? [];
    const cost = exchange.reduce((sum, message) => sum + messageTokens(message, countTokens), 0);
    // Stop at the first exchange that does not fit: a gap in the middle would read as a
    // conversation that never happened.
    if (tokens + cost > budget) break;
    tokens += cost;
    kept.unshift(exchange);
  }
  const messages = kept.flat();
  return { messages, dropped: history.length - messages.length, tokens };
}

/** The tokens a message costs: its text and the name and arguments of its tool calls. */
export function messageTokens(message: ModelMessage, countTokens: CountTokens): number {
  let tokens = countTokens(message.content);
  if (message.role === 'assistant') {
    for (const call of message.toolCalls ?? []) tokens += countTokens(call.name) + countTokens(call.arguments);
  }
  return tokens;
}

function groupExchanges(history: readonly ModelMessage[]): ModelMessage[][] {
  const exchanges: ModelMessage[][] = [];
  for (const message of history) {
    const last = exchanges.at(-1);
    if (message.role !== 'tool') exchanges.push([message]);
    else if (last?.some((earlier) => earlier.role === 'assistant' && earlier.toolCalls?.length)) last.push(message);
  }
  return exchanges;
}
