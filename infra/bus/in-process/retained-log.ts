import type { BusMessage } from '../port.js';

export interface RetainedRecord {
  sequence: number;
  message: BusMessage;
  publishedAt: number;
}

export interface RetainedLogLimits {
  maxMessages: number;
  maxAgeMs: number;
  duplicateWindowMs: number;
}

export type AppendOutcome = { duplicate: false; sequence: number } | { duplicate: true; sequence: number };

/**
 * The in-process stand-in for a JetStream stream with limits retention: sequences
 * start at 1 and never repeat, the oldest messages go first when a limit is hit, and
 * message ids are remembered for the duplicate window even after their message went.
 */
export interface RetainedLog {
  /** Appends unless the id was seen inside the duplicate window. */
  append(message: BusMessage, now: number): AppendOutcome;
  /** The record at `sequence`, or undefined when it was evicted or never existed. */
  get(sequence: number): RetainedRecord | undefined;
  /** Sequence of the oldest retained record (one past the last when empty). */
  firstSequence(): number;
  /** Sequence of the newest record ever appended (0 before the first). */
  lastSequence(): number;
  /** Drops records past the age limit and ids past the duplicate window. */
  prune(now: number): void;
}

export function createRetainedLog(limits: RetainedLogLimits, onEvicted: (sequence: number) => void): RetainedLog {
  // Records live in an array read from `head`, so evicting from the front is O(1);
  // the array is compacted now and then instead of shifted on every eviction.
  let records: (RetainedRecord | undefined)[] = [];
  let head = 0;
  let nextSequence = 1;
  const seenIds = new Map<string, { sequence: number; publishedAt: number }>();

  const evictOldest = (): void => {
    const record = records[head];
    if (!record) return;
    records[head] = undefined;
    head += 1;
    if (head > 1024 && head * 2 > records.length) {
      records = records.slice(head);
      head = 0;
    }
    onEvicted(record.sequence);
  };

  const prune = (now: number): void => {
    for (const [id, seen] of seenIds) {
      if (now - seen.publishedAt < limits.duplicateWindowMs) break;
      seenIds.delete(id);
    }
    while (head < records.length && now - (records[head]?.publishedAt ?? now) >= limits.maxAgeMs) evictOldest();
  };

  return {
    append(message, now) {
      prune(now);
      const seen = seenIds.get(message.id);
      if (seen) return { duplicate: true, sequence: seen.sequence };
      const sequence = nextSequence;
      nextSequence += 1;
      records.push({ sequence, message, publishedAt: now });
      seenIds.set(message.id, { sequence, publishedAt: now });
      while (records.length - head > limits.maxMessages) evictOldest();
      return { duplicate: false, sequence };
    },
    get(sequence) {
      const first = records[head]?.sequence ?? nextSequence;
      return sequence < first ? undefined : records[head + sequence - first];
    },
    firstSequence: () => records[head]?.sequence ?? nextSequence,
    lastSequence: () => nextSequence - 1,
    prune,
  };
}
