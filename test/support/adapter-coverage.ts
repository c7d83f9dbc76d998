import { appendFileSync } from 'node:fs';

/**
 * Contract suites report which adapters they ran against; the global teardown prints
 * the list, so a run says plainly what it covered and what it could not reach.
 */
const REPORT_FILE_VARIABLE = 'TESSERA_ADAPTER_COVERAGE_FILE';

export function recordAdapterCovered(port: string, adapter: string): void {
  write({ port, adapter, covered: true });
}

export function recordAdapterNotCovered(port: string, adapter: string, reason: string): void {
  write({ port, adapter, covered: false, reason });
}

function write(entry: { port: string; adapter: string; covered: boolean; reason?: string }): void {
  const file = process.env[REPORT_FILE_VARIABLE];
  if (file) appendFileSync(file, `${JSON.stringify(entry)}\n`);
}

export { REPORT_FILE_VARIABLE };
