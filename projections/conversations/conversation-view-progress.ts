import { LRUCache } from 'lru-cache';
import type { StreamEvent } from '../../domain/events/envelope.js';
import { isAfter, type GlobalPosition } from '../../domain/events/global-position.js';

/** What the progress needs of an event: its stream, and what it says. */
export type NotedEvent = Pick<StreamEvent, 'streamId' | 'type' | 'data'>;

/**
 * Read-your-writes for the conversation view, whose earlier exchanges go into the next
 * prompt. The projections apply events in batches some milliseconds apart; a turn asked
 * right after the previous one ended must still see it. Where the projections run in
 * this process, every turn end this process appended (where the store reports what it
 * wrote) or its projections read is noted with its conversation, and a prompt for that
 * conversation waits until the view has applied it, the batches not lingering
 * meanwhile. An end appended by another process and not read here yet is not waited
 * for, nor is any where a separate `tessera project` runs the projections.
 */
export interface ConversationViewProgress {
  /** Resolves once every turn end of the conversation noted here is in the view; false if `limitMs` passed first. */
  untilCurrent(conversationId: string, limitMs?: number): Promise<boolean>;
}

/** The side the projections' runner and the event store feed. */
export interface ConversationViewTracker extends ConversationViewProgress {
  /** An event this process appended or read, at `position` or before it, before the view has it. */
  noted(event: NotedEvent, position: GlobalPosition): void;
  /** The view's projection runner started here: `hurry` ends the linger of the batch it is gathering. */
  attach(hurry: () => void): void;
  /** True while a prompt waits: the runner's batches should not linger meanwhile. */
  waiting(): boolean;
  /** The view has every event up to `position`. */
  applied(position: GlobalPosition): void;
  detach(): void;
}

const DEFAULT_LIMIT_MS = 2_000;
/** Turns whose end may still come: enough for the turns in flight of a busy process. */
const TURNS_REMEMBERED = 20_000;

export function createConversationViewTracker(): ConversationViewTracker {
  const conversationOfTurn = new LRUCache<string, string>({ max: TURNS_REMEMBERED });
  /** Per conversation, the newest turn end the view does not have yet. */
  const unapplied = new Map<string, GlobalPosition>();
  const waiters = new Set<{ conversationId: string; resolve: (current: boolean) => void }>();
  let appliedThrough: GlobalPosition | undefined;
  let hurry: (() => void) | undefined;

  const isApplied = (position: GlobalPosition) => appliedThrough !== undefined && !isAfter(position, appliedThrough);

  return {
    noted(event, position) {
      // Without a runner here, nothing would ever clear an entry, nor would anyone wait: nothing is kept.
      if (!hurry) return;
      if (event.type === 'TurnRequested') {
        const conversationId = (event.data as { conversationId?: unknown }).conversationId;
        if (typeof conversationId === 'string') conversationOfTurn.set(event.streamId, conversationId);
      } else if (event.type === 'TurnCompleted' && !isApplied(position)) {
        const conversationId = conversationOfTurn.get(event.streamId);
        if (!conversationId) return;
        const newest = unapplied.get(conversationId);
        if (!newest || isAfter(position, newest)) unapplied.set(conversationId, position);
      }
    },
    attach(hurryNextBatch) {
      hurry = hurryNextBatch;
    },
    waiting: () => waiters.size > 0,
    applied(position) {
      appliedThrough = position;
      for (const [conversationId, newest] of unapplied) if (isApplied(newest)) unapplied.delete(conversationId);
      for (const waiter of waiters) {
        if (!unapplied.has(waiter.conversationId)) waiter.resolve(true);
      }
    },
    detach() {
      hurry = undefined;
      unapplied.clear();
      for (const waiter of waiters) waiter.resolve(false);
    },
    untilCurrent(conversationId, limitMs = DEFAULT_LIMIT_MS) {
      if (!hurry || !unapplied.has(conversationId)) return Promise.resolve(true);
      const waiting = new Promise<boolean>((resolve) => {
        const waiter = {
          conversationId,
          resolve: (current: boolean) => {
            clearTimeout(timer);
            waiters.delete(waiter);
            resolve(current);
          },
        };
        const timer = setTimeout(() => waiter.resolve(false), limitMs);
        waiters.add(waiter);
      });
      hurry();
      return waiting;
    },
  };
}
