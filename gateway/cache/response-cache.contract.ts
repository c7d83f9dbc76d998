import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordAdapterCovered } from '../../test/support/adapter-coverage.js';
import type { CachedResponse, ResponseCache } from './response-cache.js';

export interface ResponseCacheUnderTest {
  cache: ResponseCache;
  /** Another handle on the same entries (another process's view), or the same cache when there is no other. */
  peer: ResponseCache;
  teardown(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function cachedResponse(overrides: Partial<CachedResponse> = {}): CachedResponse {
  return {
    callId: randomUUID(),
    text: 'The refund window is 30 days [doc_1].',
    toolCalls: [{ id: 'call_1', name: 'lookup_order', arguments: '{"orderId":"A-17","fields":["status"]}' }],
    finishReason: 'tool-calls',
    usage: { inputTokens: 120, outputTokens: 14, cachedInputTokens: 64 },
    provider: 'openai-compatible',
    modelId: 'gpt-4o-mini',
    responseModelId: 'gpt-4o-mini-2024-07-18',
    createdAt: '2026-11-23T10:00:00.000Z',
    ...overrides,
  };
}

/** What every response cache adapter must do, run against each one. */
export function describeResponseCacheContract(name: string, factory: () => Promise<ResponseCacheUnderTest>): void {
  describe(`response cache contract: ${name}`, () => {
    let underTest: ResponseCacheUnderTest;
    const key = () => randomUUID().replaceAll('-', '');

    beforeAll(async () => {
      underTest = await factory();
      recordAdapterCovered('response cache', name);
    });
    afterAll(async () => {
      await underTest?.teardown();
    });

    it('misses a key nothing was cached under', async () => {
      expect(await underTest.cache.get(key())).toBeUndefined();
    });

    it('returns what was cached, every field intact, to any handle on the cache', async () => {
      const entry = key();
      const value = cachedResponse({ text: 'Ünïcödé ✓ and "quotes"\nnew line' });
      await underTest.cache.set(entry, value, 60_000);
      expect(await underTest.cache.get(entry)).toEqual(value);
      expect(await underTest.peer.get(entry)).toEqual(value);
    });

    it('replaces an entry cached again under the same key', async () => {
      const entry = key();
      await underTest.cache.set(entry, cachedResponse({ text: 'first' }), 60_000);
      await underTest.cache.set(entry, cachedResponse({ text: 'second' }), 60_000);
      expect((await underTest.cache.get(entry))?.text).toBe('second');
    });

    it('hands out copies: changing what get returned changes nothing cached', async () => {
      const entry = key();
      await underTest.cache.set(entry, cachedResponse(), 60_000);
      const first = (await underTest.cache.get(entry))!;
      first.text = 'changed';
      first.toolCalls.push({ id: 'call_2', name: 'x', arguments: '{}' });
      expect(await underTest.cache.get(entry)).toEqual(cachedResponse({ callId: first.callId }));
    });

    it('forgets an entry once its time to live has passed', async () => {
      const entry = key();
      await underTest.cache.set(entry, cachedResponse(), 150);
      expect(await underTest.cache.get(entry)).toBeDefined();
      await sleep(300);
      expect(await underTest.cache.get(entry)).toBeUndefined();
    });

    it('keeps entries of different keys apart', async () => {
      const [first, second] = [key(), key()];
      await underTest.cache.set(first, cachedResponse({ text: 'one' }), 60_000);
      await underTest.cache.set(second, cachedResponse({ text: 'two' }), 60_000);
      expect((await underTest.cache.get(first))?.text).toBe('one');
      expect((await underTest.cache.get(second))?.text).toBe('two');
    });
  });
}
