/** One counter and the most it may reach within its window. */
export interface CounterLimit {
  id: string;
  limit: number;
}

export interface CounterState {
  used: number;
  /** Until the counter's window ends and it starts again from zero. */
  resetInMs: number;
}

export type ConsumeResult =
  | { allowed: true; /** Each counter after the amount was added, in the order asked. */ counters: CounterState[] }
  | { allowed: false; /** The first counter without room for the amount; nothing was added to any. */ refusedIndex: number; counter: CounterState };

/**
 * Fixed-window counters (a window starts at a counter's first use). Every counter of
 * one call is checked and added to at once, so a request refused by its tenant's limit
 * spends nothing of its key's, and concurrent callers never both take the last unit.
 */
export interface RateLimitCounter {
  /** Adds `amount` to every counter if each has room for it within its limit; otherwise adds nothing. */
  consume(counters: readonly CounterLimit[], amount: number, windowMs: number): Promise<ConsumeResult>;
  /** Releases the connection the counters live behind, if any. */
  close(): Promise<void>;
}
