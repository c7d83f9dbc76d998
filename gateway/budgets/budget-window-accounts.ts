import { LRUCache } from 'lru-cache';
import type { BudgetWindowEvent } from '../../domain/budget/budget-events.js';
import { budgetWindowDecider, type BudgetWindowCommand, type BudgetWindowState } from '../../domain/budget/budget-window-decider.js';
import type { EventMetadataInput, NewEvent } from '../../domain/events/envelope.js';
import { newId, type EventId } from '../../domain/shared/ids.js';
import type { StreamId } from '../../domain/shared/stream-id.js';
import { StreamRevisionConflictError } from '../../infra/event-store/errors.js';
import type { EventStore } from '../../infra/event-store/port.js';

export type BudgetEventMetadata = Omit<EventMetadataInput, 'schemaVersion'>;

/**
 * The budget windows this process touches, each kept folded in memory with its revision.
 * Commands on one window queue up and leave together in a single append (group commit),
 * so calls in one process never conflict with each other; a conflict means another
 * process wrote, and only the events after the known revision are read before deciding again.
 */
export interface BudgetWindowAccounts {
  /** Decides and appends one command; resolves with the window after it, or rejects with the decider's refusal. */
  execute(stream: StreamId, command: BudgetWindowCommand, metadata: BudgetEventMetadata): Promise<BudgetWindowState>;
  /** The window as the log holds it now: the cached fold plus whatever was appended since. */
  current(stream: StreamId): Promise<BudgetWindowState>;
  /** The cached fold when this process read or wrote the window within `maxAgeMs`; otherwise `current`. */
  recent(stream: StreamId, maxAgeMs: number): Promise<BudgetWindowState>;
}

export interface BudgetWindowAccountsOptions {
  /** Windows kept in memory; the least recently used is folded again from the log when next needed. */
  maxWindows?: number;
  /** Appends tried before a window that keeps changing under this process gives up. */
  maxAttempts?: number;
  /** Monotonic milliseconds for `recent`; injected by tests. */
  clock?: () => number;
}

interface Pending {
  command: BudgetWindowCommand;
  metadata: BudgetEventMetadata;
  resolve(state: BudgetWindowState): void;
  reject(error: unknown): void;
}

interface Account {
  state: BudgetWindowState;
  /** Revision of the last event folded into `state`; -1 before the stream exists. */
  revision: number;
  /** When `state` was last known to match the log (a read, or an append at the expected revision). */
  confirmedAt: number;
  queue: Pending[];
  writing: boolean;
}

type Outcome = { state: BudgetWindowState } | { error: unknown };

/** The most events a queue drains into one append: four per command at most, far below the store's cap. */
const MAX_COMMANDS_PER_APPEND = 100;

export function createBudgetWindowAccounts(store: EventStore, options: BudgetWindowAccountsOptions = {}): BudgetWindowAccounts {
  const maxAttempts = options.maxAttempts ?? 50;
  const clock = options.clock ?? (() => performance.now());
  const accounts = new LRUCache<StreamId, Account>({ max: options.maxWindows ?? 10_000 });

  const accountOf = (stream: StreamId): Account => {
    let account = accounts.get(stream);
    if (!account) {
      account = { state: budgetWindowDecider.initialState(), revision: -1, confirmedAt: Number.NEGATIVE_INFINITY, queue: [], writing: false };
      accounts.set(stream, account);
    }
    return account;
  };

  const catchUp = async (stream: StreamId, account: Account): Promise<void> => {
    const from = account.revision;
    const readAt = clock();
    const { events } = await store.readStream(stream, { fromRevision: from + 1 });
    // An append or another read moved the account meanwhile: it is already as new as this read.
    if (account.revision !== from) return;
    account.state = events.reduce((state, event) => budgetWindowDecider.evolve(state, event as unknown as BudgetWindowEvent), account.state);
    account.revision = events.at(-1)?.revision ?? from;
    account.confirmedAt = readAt;
  };

  const decideAll = (state: BudgetWindowState, batch: readonly Pending[]) => {
    const events: NewEvent[] = [];
    const outcomes: Outcome[] = [];
    for (const { command, metadata } of batch) {
      try {
        const decided = budgetWindowDecider.decide(command, state);
        state = decided.reduce(budgetWindowDecider.evolve, state);
        events.push(...decided.map((event) => ({ id: newId<EventId>(), type: event.type, data: event.data, metadata })));
        outcomes.push({ state });
      } catch (error) {
        outcomes.push({ error });
      }
    }
    return { state, events, outcomes };
  };

  const writeBatch = async (stream: StreamId, account: Account, batch: readonly Pending[]): Promise<Outcome[]> => {
    // Deciding to write nothing (a refusal, a hold that is not there to settle) is final
    // only on the window as the log holds it; an append at the expected revision proves
    // that for free, a batch without events must read to know it.
    let current = false;
    for (let attempt = 1; ; attempt += 1) {
      const decided = decideAll(account.state, batch);
      if (decided.events.length === 0) {
        if (current) return decided.outcomes;
        await catchUp(stream, account);
        current = true;
        continue;
      }
      try {
        const expectedRevision = account.revision === -1 ? 'no_stream' : account.revision;
        // Fresh event ids: an append either lands after `expectedRevision` or conflicts, never repeats one.
        // Announced quietly: no subscriber acts on a budget window; other processes read it when they write it.
        const result = await store.appendToStream(stream, decided.events, { expectedRevision, announce: 'quietly' });
        account.state = decided.state;
        account.revision = result.nextRevision;
        account.confirmedAt = clock();
        return decided.outcomes;
      } catch (error) {
        if (!(error instanceof StreamRevisionConflictError) || attempt >= maxAttempts) throw error;
        await catchUp(stream, account);
        current = true;
      }
    }
  };

  const drain = async (stream: StreamId, account: Account): Promise<void> => {
    account.writing = true;
    try {
      while (account.queue.length > 0) {
        const batch = account.queue.splice(0, MAX_COMMANDS_PER_APPEND);
        try {
          const outcomes = await writeBatch(stream, account, batch);
          batch.forEach((pending, index) => {
            const outcome = outcomes[index]!;
            if ('error' in outcome) pending.reject(outcome.error);
            else pending.resolve(outcome.state);
          });
        } catch (error) {
          for (const pending of batch) pending.reject(error);
        }
      }
    } finally {
      account.writing = false;
    }
  };

  return {
    execute(stream, command, metadata) {
      return new Promise<BudgetWindowState>((resolve, reject) => {
        const account = accountOf(stream);
        account.queue.push({ command, metadata, resolve, reject });
        if (!account.writing) void drain(stream, account);
      });
    },
    async current(stream) {
      const account = accountOf(stream);
      await catchUp(stream, account);
      return account.state;
    },
    async recent(stream, maxAgeMs) {
      const account = accountOf(stream);
      if (clock() - account.confirmedAt > maxAgeMs) await catchUp(stream, account);
      return account.state;
    },
  };
}
