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
  /**
   * Decides and appends one command; resolves with the window after it, or rejects with
   * the decider's refusal. A `lingering` command waits up to `lingerMs` for a command
   * that may not wait, and leaves in its append.
   */
  execute(stream: StreamId, command: BudgetWindowCommand, metadata: BudgetEventMetadata, how?: { lingering?: boolean }): Promise<BudgetWindowState>;
  /** `execute` for several commands that leave in the same append; each is decided, and may be refused, on its own. */
  executeAll(
    stream: StreamId,
    commands: readonly { command: BudgetWindowCommand; metadata: BudgetEventMetadata }[],
  ): Promise<PromiseSettledResult<BudgetWindowState>[]>;
  /** The window as the log holds it now, this process's lingering commands included: the cached fold plus whatever was appended since. */
  current(stream: StreamId): Promise<BudgetWindowState>;
  /** The cached fold when this process read or wrote the window within `maxAgeMs`; otherwise `current`. */
  recent(stream: StreamId, maxAgeMs: number): Promise<BudgetWindowState>;
  /** Appends every lingering command now; resolves when they are all written or refused. */
  flush(): Promise<void>;
}

export interface BudgetWindowAccountsOptions {
  /** Windows kept in memory; the least recently used is folded again from the log when next needed. */
  maxWindows?: number;
  /** Appends tried before a window that keeps changing under this process gives up. */
  maxAttempts?: number;
  /** Monotonic milliseconds for `recent`; injected by tests. */
  clock?: () => number;
  /** Longest a lingering command waits for another append to join. Default 0: none waits. */
  lingerMs?: number;
}

interface Pending {
  command: BudgetWindowCommand;
  metadata: BudgetEventMetadata;
  lingering: boolean;
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
  /** Set while queued commands all linger: when it fires, they leave without company. */
  lingerTimer?: NodeJS.Timeout;
  /** The queue goes out now, lingering commands included (the timer fired, or someone reads or flushes). */
  dueNow: boolean;
  /** Called when the queue is next empty and nothing is being written. */
  onIdle: (() => void)[];
}

type Outcome = { state: BudgetWindowState } | { error: unknown };

/** The most events a queue drains into one append: four per command at most, far below the store's cap. */
const MAX_COMMANDS_PER_APPEND = 100;

export function createBudgetWindowAccounts(store: EventStore, options: BudgetWindowAccountsOptions = {}): BudgetWindowAccounts {
  const maxAttempts = options.maxAttempts ?? 50;
  const clock = options.clock ?? (() => performance.now());
  const lingerMs = options.lingerMs ?? 0;
  const accounts = new LRUCache<StreamId, Account>({ max: options.maxWindows ?? 10_000 });
  /** Every window with queued commands, evicted from `accounts` or not, so a flush finds them all. */
  const busy = new Map<StreamId, Account>();

  const accountOf = (stream: StreamId): Account => {
    let account = accounts.get(stream);
    if (!account) {
      account = busy.get(stream) ?? {
        state: budgetWindowDecider.initialState(),
        revision: -1,
        confirmedAt: Number.NEGATIVE_INFINITY,
        queue: [],
        writing: false,
        dueNow: false,
        onIdle: [],
      };
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

  const isDue = (account: Account) => account.dueNow || account.queue.some((pending) => !pending.lingering);

  const schedule = (stream: StreamId, account: Account): void => {
    if (account.writing) return;
    if (account.queue.length === 0) {
      busy.delete(stream);
      for (const idle of account.onIdle.splice(0)) idle();
      return;
    }
    busy.set(stream, account);
    if (isDue(account)) {
      void drain(stream, account);
      return;
    }
    account.lingerTimer ??= setTimeout(() => {
      account.lingerTimer = undefined;
      account.dueNow = true;
      schedule(stream, account);
    }, lingerMs).unref();
  };

  const drain = async (stream: StreamId, account: Account): Promise<void> => {
    account.writing = true;
    clearTimeout(account.lingerTimer);
    account.lingerTimer = undefined;
    try {
      while (account.queue.length > 0 && isDue(account)) {
        const batch = account.queue.splice(0, MAX_COMMANDS_PER_APPEND);
        if (account.queue.length === 0) account.dueNow = false;
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
    // What queued during the last write and may linger waits for company or its timer.
    schedule(stream, account);
  };

  /** Sends the window's queue now, lingering commands included, and resolves once it is written. */
  const drainNow = (stream: StreamId, account: Account): Promise<void> => {
    if (account.queue.length === 0 && !account.writing) return Promise.resolve();
    return new Promise<void>((resolve) => {
      account.onIdle.push(resolve);
      if (account.queue.length > 0) account.dueNow = true;
      schedule(stream, account);
    });
  };

  const enqueue = (account: Account, command: BudgetWindowCommand, metadata: BudgetEventMetadata, lingering: boolean) =>
    new Promise<BudgetWindowState>((resolve, reject) => {
      account.queue.push({ command, metadata, lingering: lingering && lingerMs > 0, resolve, reject });
    });

  return {
    execute(stream, command, metadata, how = {}) {
      const account = accountOf(stream);
      const executed = enqueue(account, command, metadata, how.lingering === true);
      schedule(stream, account);
      return executed;
    },
    executeAll(stream, commands) {
      const account = accountOf(stream);
      const executed = commands.map(({ command, metadata }) => enqueue(account, command, metadata, false));
      schedule(stream, account);
      return Promise.allSettled(executed);
    },
    async current(stream) {
      const account = accountOf(stream);
      await drainNow(stream, account);
      await catchUp(stream, account);
      return account.state;
    },
    async recent(stream, maxAgeMs) {
      const account = accountOf(stream);
      if (clock() - account.confirmedAt > maxAgeMs) await catchUp(stream, account);
      return account.state;
    },
    async flush() {
      await Promise.all([...busy].map(([stream, account]) => drainNow(stream, account)));
    },
  };
}
