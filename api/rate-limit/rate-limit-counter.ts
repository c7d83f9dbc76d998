/** One counter, the most it may reach within its window, and what this call adds to it. */
export interface CounterLimit {
  id: string;
  limit: number;
  amount: number;
  /**
   * Also count this much more, for the caller to spend on its next calls without asking,
   * if at least `keepFree` would still be left after it; otherwise only `amount`.
   */
  ahead?: { amount: number; keepFree: number };
}

export interface CounterState {
  /** Everything counted in the window, `amount` and what was counted ahead included. */
  used: number;
  /** What was counted ahead besides `amount` (0 when it was not). */
  countedAhead: number;
  /** Until the counter's window ends and it starts again from zero. */
  resetInMs: number;
}

export type ConsumeResult =
  | { allowed: true; /** Each counter after the amount was added, in the order asked. */ counters: CounterState[] }
  | { allowed: false; /** The first counter without room for its amount; nothing was added to any. */ refusedIndex: number; counter: Pick<CounterState, 'used' | 'resetInMs'> };

/**
 * Fixed-window counters (a window starts at a counter's first use). Every counter of
 * one call is checked and added to at once, so a request refused by its tenant's limit
 * spends nothing of its key's, and concurrent callers never both take the last unit.
 */
export interface RateLimitCounter {
  /** Adds each counter's amount to it if every one has room for its amount within its limit; otherwise adds nothing. */
  consume(counters: readonly CounterLimit[], windowMs: number): Promise<ConsumeResult>;
  /** Releases the connection the counters live behind, if any. */
  close(): Promise<void>;
}
