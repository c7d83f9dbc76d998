import type { DeltaChannel, TurnDelta } from '../port.js';

export interface InProcessDeltaChannelOptions {
  /** Deltas kept per turn; the oldest go first. */
  maxDeltasPerTurn?: number;
  /** A turn's deltas are dropped this long after its last delta. */
  retentionMs?: number;
}

interface TurnBuffer {
  deltas: TurnDelta[];
  listeners: Set<(delta: TurnDelta) => void>;
  lastSequence: number;
  touchedAt: number;
}

/** The embedded profile's ring buffer of deltas: one process, bounded in count and age. */
export function createInProcessDeltaChannel(options: InProcessDeltaChannelOptions = {}): DeltaChannel {
  const maxPerTurn = options.maxDeltasPerTurn ?? 50_000;
  const retentionMs = options.retentionMs ?? 10 * 60_000;
  const turns = new Map<string, TurnBuffer>();

  const bufferOf = (turnId: string): TurnBuffer => {
    let buffer = turns.get(turnId);
    if (!buffer) {
      buffer = { deltas: [], listeners: new Set(), lastSequence: 0, touchedAt: Date.now() };
      turns.set(turnId, buffer);
    }
    return buffer;
  };

  const sweep = setInterval(() => {
    const cutoff = Date.now() - retentionMs;
    for (const [turnId, buffer] of turns) {
      if (buffer.touchedAt < cutoff && buffer.listeners.size === 0) turns.delete(turnId);
    }
  }, Math.min(retentionMs, 60_000));
  sweep.unref();

  return {
    async publish(delta) {
      const buffer = bufferOf(delta.turnId);
      if (delta.sequence <= buffer.lastSequence) return;
      buffer.lastSequence = delta.sequence;
      buffer.touchedAt = Date.now();
      buffer.deltas.push(delta);
      if (buffer.deltas.length > maxPerTurn) buffer.deltas.splice(0, buffer.deltas.length - maxPerTurn);
      for (const listener of buffer.listeners) listener(delta);
    },

    async replay(turnId, afterSequence) {
      return (turns.get(turnId)?.deltas ?? []).filter((delta) => delta.sequence > afterSequence);
    },

    async *follow(turnId, afterSequence, signal) {
      const buffer = bufferOf(turnId);
      const pending: TurnDelta[] = [];
      let wake: (() => void) | undefined;
      const listener = (delta: TurnDelta) => {
        pending.push(delta);
        wake?.();
      };
      const onAbort = () => wake?.();
      buffer.listeners.add(listener);
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        let last = afterSequence;
        for (const delta of buffer.deltas) {
          if (delta.sequence > last) {
            last = delta.sequence;
            yield delta;
          }
        }
        while (!signal.aborted) {
          const delta = pending.shift();
          if (!delta) {
            await new Promise<void>((resolve) => (wake = resolve));
            wake = undefined;
            continue;
          }
          if (delta.sequence <= last) continue;
          last = delta.sequence;
          yield delta;
        }
      } finally {
        buffer.listeners.delete(listener);
        signal.removeEventListener('abort', onAbort);
      }
    },

    async close() {
      clearInterval(sweep);
      turns.clear();
    },
  };
}
