import type { CacheHealthListener } from './response-cache.js';

/**
 * Reports the start and the end of an outage instead of every failed call: while Redis
 * is down each model call would otherwise log the same line.
 */
export function createOutageReporter(listener: CacheHealthListener) {
  let failing = false;
  return {
    failed(error: unknown, operation: 'get' | 'set'): void {
      if (failing) return;
      failing = true;
      listener.onError?.(error instanceof Error ? error : new Error(String(error)), operation);
    },
    succeeded(): void {
      if (!failing) return;
      failing = false;
      listener.onRecovered?.();
    },
  };
}
