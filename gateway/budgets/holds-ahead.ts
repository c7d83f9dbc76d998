import { LRUCache } from 'lru-cache';
import { newId } from '../../domain/shared/ids.js';
import type { BudgetHold } from './budget-reservation.js';
import type { BudgetEventMetadata, BudgetWindowAccounts } from './budget-window-accounts.js';

/**
 * Room that must stay free beyond the holds a top-up takes, in multiples of them: near the
 * limit, where a hold kept idle here could refuse a call another process has room for,
 * every call holds exactly its own worst case.
 */
export const ROOM_FACTOR = 16;

/** After a top-up was refused (no room to spare, or the store failed), calls hold one by one for this long. */
const TOP_UP_PAUSE_MS = 1_000;

/** A hold already durable on every window a call must hold against, waiting for a call it fits. */
export interface HoldAhead {
  reservationId: string;
  worstCaseMicros: number;
  holds: readonly BudgetHold[];
  /** Epoch milliseconds after which the hold stops counting; absent, it counts until settled. */
  expiresAt?: number;
}

export interface HoldsAhead {
  /** Takes a hold for `worstCaseMicros` on exactly these windows, if one is ready, and then tops the pool up in the background when few are left. */
  take(owner: HoldOwner, holds: readonly BudgetHold[], worstCaseMicros: number, now: Date): HoldAhead | undefined;
  /**
   * Takes more holds in the background when few are left (resolving once they are ready),
   * sized for `worstCaseMicros` at least; after a `take` that found none, call it once the
   * call's own exact hold is queued, so that one goes first.
   */
  topUp(owner: HoldOwner, holds: readonly BudgetHold[], worstCaseMicros: number, now: Date): Promise<void> | undefined;
  /** Releases the tenant's holds (its budgets changed). */
  releaseTenant(tenantId: string): void;
  /** Waits for top-ups under way, then releases every hold no call took; resolves once the releases are queued. */
  releaseAll(): Promise<void>;
}

export interface HoldOwner {
  tenantId: string;
  keyId?: string;
}

export interface HoldsAheadOptions {
  accounts: BudgetWindowAccounts;
  /** Most holds kept ready per tenant and key. */
  count: number;
  clock: () => number;
  /** Pools kept; the least recently used releases its holds. */
  maxPools?: number;
  /**
   * Holds no call has taken for this long are released, so room held for a key that went
   * quiet serves other callers again. Default 5 s.
   */
  idleMs?: number;
  /** How long a hold counts if it is never settled, and how much of that a call may need. */
  lifetime?: HoldLifetime;
}

export interface HoldLifetime {
  /** A hold still open this long after it was taken stops counting (its process is presumed gone). */
  holdMs: number;
  /** The longest a call runs: a hold ahead with less of its lifetime left serves no call and is released. */
  callMs: number;
}

interface Pool {
  owner: HoldOwner;
  /** The windows, limits and enforcement the holds were taken under; a call under others cannot use them. */
  signature: string;
  holds: readonly BudgetHold[];
  ready: HoldAhead[];
  /** What each new hold is sized for: the largest worst case seen, rounded up to a power of two. */
  sizeMicros: number;
  toppingUp?: Promise<void>;
  pausedUntil: number;
  /** When a call last took one of its holds (or the pool was made), on `clock`. */
  lastTakenAt: number;
}

/**
 * Holds taken ahead of the calls they serve: one append holds room for the next `count`
 * calls of a tenant and key, each still durable before its call goes out, and exactly as
 * large as a hold of its own would be at most twice over. A call takes one without
 * waiting for the store; its settlement names it. Far from the limit this turns an
 * append per call into one per several; near it (see ROOM_FACTOR) nothing is held ahead.
 * Holds a key has stopped using go back after `idleMs`. A process that dies leaves its
 * unused holds, as it leaves the holds of the calls it was making, until they expire
 * (`lifetime`) or, without one, until the window resets.
 */
export function createHoldsAhead(options: HoldsAheadOptions): HoldsAhead {
  const { accounts, count, clock } = options;
  const pools = new LRUCache<string, Pool>({
    max: options.maxPools ?? 10_000,
    dispose: (pool) => release(pool, pool.ready.splice(0)),
  });
  const idleMs = options.idleMs ?? 5_000;
  const { lifetime } = options;
  const sweep = setInterval(() => {
    const now = clock();
    const idle = [...pools.entries()].filter(([, pool]) => pool.ready.length > 0 && !pool.toppingUp && now - pool.lastTakenAt > idleMs);
    for (const [key] of idle) pools.delete(key);
  }, idleMs).unref();

  const release = (pool: Pool, unused: readonly HoldAhead[]) => {
    const now = new Date();
    for (const hold of unused) {
      for (const window of hold.holds) {
        accounts
          .execute(
            window.streamId,
            { type: 'SettleBudget', data: { reservationId: hold.reservationId, actualMicros: 0, limitMicros: window.limitMicros, window: window.window, now } },
            metadataOf(pool.owner, hold.reservationId),
            { lingering: true },
          )
          // A release that fails leaves the hold until it expires or the window resets: over-cautious, never overspent.
          .catch(() => undefined);
      }
    }
  };

  const poolFor = (owner: HoldOwner, holds: readonly BudgetHold[]): Pool => {
    const key = keyOf(owner);
    const signature = signatureOf(holds);
    const pool = pools.get(key);
    if (pool?.signature === signature) return pool;
    // A new window, or budgets set anew: the old holds serve no call any more (dispose releases them).
    const fresh: Pool = { owner, signature, holds, ready: [], sizeMicros: 0, pausedUntil: Number.NEGATIVE_INFINITY, lastTakenAt: clock() };
    pools.set(key, fresh);
    return fresh;
  };

  /** Tops the pool up in the background when few holds are left; resolves once they are ready. */
  const startFill = (pool: Pool, now: Date): Promise<void> | undefined => {
    if (pool.toppingUp || pool.ready.length > count / 2 || clock() < pool.pausedUntil) return pool.toppingUp;
    pool.toppingUp = fill(pool, now)
      .catch(() => {
        pool.pausedUntil = clock() + TOP_UP_PAUSE_MS;
      })
      .finally(() => {
        pool.toppingUp = undefined;
      });
    return pool.toppingUp;
  };

  const fill = async (pool: Pool, now: Date): Promise<void> => {
    const expiresAt = lifetime === undefined ? undefined : now.getTime() + lifetime.holdMs;
    const wanted = Array.from(
      { length: count - pool.ready.length },
      (): HoldAhead => ({ reservationId: newId(), worstCaseMicros: pool.sizeMicros, holds: pool.holds, ...(expiresAt !== undefined && { expiresAt }) }),
    );
    const minimumLeftMicros = ROOM_FACTOR * wanted.length * pool.sizeMicros;
    const outcomes = await Promise.all(
      pool.holds.map((window) =>
        accounts.executeAll(
          window.streamId,
          wanted.map((hold) => ({
            command: {
              type: 'ReserveBudget' as const,
              data: {
                reservationId: hold.reservationId,
                worstCaseMicros: hold.worstCaseMicros,
                minimumLeftMicros,
                limitMicros: window.limitMicros,
                enforcement: window.enforcement,
                window: window.window,
                now,
                ...(expiresAt !== undefined && { expiresAt: new Date(expiresAt) }),
              },
            },
            metadata: metadataOf(pool.owner, hold.reservationId),
          })),
        ),
      ),
    );
    const current = pools.peek(keyOf(pool.owner)) === pool;
    wanted.forEach((hold, index) => {
      const taken = outcomes.every((perWindow) => perWindow[index]!.status === 'fulfilled');
      if (taken && current && hold.worstCaseMicros === pool.sizeMicros) {
        pool.ready.push(hold);
        return;
      }
      if (!taken) pool.pausedUntil = clock() + TOP_UP_PAUSE_MS;
      // Held on some windows only, or no longer wanted: what was taken goes back.
      const heldOn = pool.holds.filter((_window, windowIndex) => outcomes[windowIndex]![index]!.status === 'fulfilled');
      if (heldOn.length > 0) release(pool, [{ ...hold, holds: heldOn }]);
    });
  };

  return {
    take(owner, holds, worstCaseMicros, now) {
      const pool = poolFor(owner, holds);
      pool.lastTakenAt = clock();
      const size = sizeFor(worstCaseMicros);
      if (size > pool.sizeMicros) {
        pool.sizeMicros = size;
        // Too small for calls like this one: freed now rather than kept for smaller calls that may not come.
        release(pool, pool.ready.splice(0));
        return undefined;
      }
      if (lifetime !== undefined) {
        // A hold that could expire while its call runs would let others spend what the call may still spend.
        const stale = pool.ready.filter((hold) => hold.expiresAt !== undefined && hold.expiresAt - now.getTime() < lifetime.callMs);
        if (stale.length > 0) {
          pool.ready = pool.ready.filter((hold) => !stale.includes(hold));
          release(pool, stale);
        }
      }
      const index = pool.ready.findIndex((hold) => hold.worstCaseMicros >= worstCaseMicros);
      if (index === -1) return undefined;
      const [taken] = pool.ready.splice(index, 1);
      void startFill(pool, now);
      return taken;
    },

    topUp(owner, holds, worstCaseMicros, now) {
      const pool = poolFor(owner, holds);
      pool.sizeMicros = Math.max(pool.sizeMicros, sizeFor(worstCaseMicros));
      return startFill(pool, now);
    },

    releaseTenant(tenantId) {
      const owned = [...pools.entries()].filter(([, pool]) => pool.owner.tenantId === tenantId);
      for (const [key] of owned) pools.delete(key);
    },

    async releaseAll() {
      clearInterval(sweep);
      await Promise.all([...pools.values()].flatMap((pool) => (pool.toppingUp ? [pool.toppingUp] : [])));
      pools.clear();
    },
  };
}

function keyOf(owner: HoldOwner): string {
  return `${owner.tenantId}\u0000${owner.keyId ?? ''}`;
}

function signatureOf(holds: readonly BudgetHold[]): string {
  return holds.map((hold) => `${hold.streamId}:${hold.limitMicros}:${hold.enforcement}`).join(',');
}

/** Powers of two, so calls of slightly different worst cases share holds, none more than twice its need. */
function sizeFor(worstCaseMicros: number): number {
  return worstCaseMicros <= 1 ? 1 : 2 ** Math.ceil(Math.log2(worstCaseMicros));
}

function metadataOf(owner: HoldOwner, reservationId: string): BudgetEventMetadata {
  return { tenantId: owner.tenantId, correlationId: reservationId, causationId: reservationId };
}
