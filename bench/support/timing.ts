import { performance } from 'node:perf_hooks';

export const now = (): number => performance.now();

export function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, milliseconds)));
}
