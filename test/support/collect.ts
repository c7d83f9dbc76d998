import type { RecordedEvent } from '../../domain/events/envelope.js';

/** Pulls events from an async iterable until `until` holds or the time runs out. */
export async function collectUntil(
  source: AsyncIterable<RecordedEvent>,
  until: (seen: RecordedEvent[]) => boolean,
  timeoutMs = 10_000,
): Promise<RecordedEvent[]> {
  const seen: RecordedEvent[] = [];
  if (until(seen)) return seen;
  const iterator = source[Symbol.asyncIterator]();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const remaining = deadline - Date.now();
    let timer: NodeJS.Timeout | undefined;
    const next = await Promise.race([
      iterator.next(),
      new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), remaining);
      }),
    ]);
    clearTimeout(timer);
    if (next === 'timeout' || next.done) break;
    seen.push(next.value);
    if (until(seen)) return seen;
  }
  throw new Error(`timed out after ${timeoutMs} ms with ${seen.length} events`);
}
