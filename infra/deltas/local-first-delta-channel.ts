import type { DeltaChannel, TurnDelta } from './port.js';

/**
 * A shared channel (NATS) with a shortcut for deltas published in this process: a
 * follower here gets them the moment they are published, and the shared channel's
 * copies, arriving later, are dropped by sequence. Deltas published by other
 * processes still come through the shared channel.
 */
export function withLocalDelivery(shared: DeltaChannel): DeltaChannel {
  const local = new Map<string, Set<(delta: TurnDelta) => void>>();

  return {
    async publish(delta) {
      for (const listener of local.get(delta.turnId) ?? []) listener(delta);
      await shared.publish(delta);
    },

    replay: (turnId, afterSequence) => shared.replay(turnId, afterSequence),

    async *follow(turnId, afterSequence, signal) {
      const queue: TurnDelta[] = [];
      let wake: (() => void) | undefined;
      let sharedError: Error | undefined;
      let sharedDone = false;
      const push = (delta: TurnDelta) => {
        queue.push(delta);
        wake?.();
      };
      let listeners = local.get(turnId);
      if (!listeners) local.set(turnId, (listeners = new Set()));
      listeners.add(push);
      const onAbort = () => wake?.();
      signal.addEventListener('abort', onAbort, { once: true });
      const pump = (async () => {
        for await (const delta of shared.follow(turnId, afterSequence, signal)) push(delta);
      })().then(
        () => (sharedDone = true),
        (error: unknown) => {
          sharedError = error instanceof Error ? error : new Error(String(error));
          sharedDone = true;
        },
      ).finally(() => wake?.());
      let last = afterSequence;
      try {
        while (!signal.aborted) {
          const next = queue.shift();
          if (next) {
            if (next.sequence > last) {
              last = next.sequence;
              yield next;
            }
            continue;
          }
          if (sharedDone) {
            if (sharedError) throw sharedError;
            return;
          }
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
        }
      } finally {
        signal.removeEventListener('abort', onAbort);
        listeners.delete(push);
        if (listeners.size === 0 && local.get(turnId) === listeners) local.delete(turnId);
        void pump;
      }
    },

    close: () => shared.close(),
  };
}
