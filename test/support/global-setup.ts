import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPORT_FILE_VARIABLE } from './adapter-coverage.js';

interface CoverageEntry {
  port: string;
  adapter: string;
  covered: boolean;
  reason?: string;
}

export function setup(): () => void {
  const directory = mkdtempSync(join(tmpdir(), 'tessera-coverage-'));
  const file = join(directory, 'adapters.jsonl');
  process.env[REPORT_FILE_VARIABLE] = file;
  return () => {
    const entries: CoverageEntry[] = existsSync(file)
      ? readFileSync(file, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as CoverageEntry)
      : [];
    rmSync(directory, { recursive: true, force: true });
    if (entries.length === 0) return;
    const byKey = new Map<string, CoverageEntry>();
    for (const entry of entries) {
      const key = `${entry.port} / ${entry.adapter}`;
      const known = byKey.get(key);
      if (!known || (entry.covered && !known.covered)) byKey.set(key, entry);
    }
    const lines = [...byKey.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, entry]) => `  ${entry.covered ? 'covered    ' : 'NOT covered'}  ${key}${entry.reason ? `  (${entry.reason})` : ''}`);
    console.log(`\nContract suites, adapters:\n${lines.join('\n')}\n`);
  };
}
