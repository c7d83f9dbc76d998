import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openPglite } from './pglite.js';

const directories: string[] = [];
function freshDirectory(): string {
  const directory = mkdtempSync(join(tmpdir(), 'tessera-pglite-'));
  directories.push(directory);
  return directory;
}

afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

describe('openPglite', () => {
  it('creates a cluster in an empty data directory and finds it again on the next open', async () => {
    const directory = freshDirectory();
    const first = await openPglite(directory);
    await first.exec(`create table kept (value text); insert into kept values ('still here')`);
    await first.close();
    expect(existsSync(join(directory, 'PG_VERSION'))).toBe(true);

    const second = await openPglite(directory);
    const { rows } = await second.query<{ value: string }>('select value from kept');
    expect(rows).toEqual([{ value: 'still here' }]);
    const { rows: extensions } = await second.query<{ extname: string }>(`select extname from pg_extension where extname = 'vector'`);
    expect(extensions).toHaveLength(1);
    await second.close();
  });

  it('refuses a data directory another open holds, and takes over a lock its holder left behind', async () => {
    const directory = join(freshDirectory(), 'pglite');
    const first = await openPglite(directory);
    await expect(openPglite(directory)).rejects.toMatchObject({ code: 'TESSERA_DATA_DIRECTORY_IN_USE', holder: process.pid });
    await first.close();
    expect(existsSync(`${directory}.lock`)).toBe(false);

    // A process that died without closing left its lock: no process has that id now.
    writeFileSync(`${directory}.lock`, '2147483646');
    const reopened = await openPglite(directory);
    expect(Number(readFileSync(`${directory}.lock`, 'utf8'))).toBe(process.pid);
    await reopened.close();
  });

  it('gives every in-memory database its own fresh cluster', async () => {
    const one = await openPglite();
    const other = await openPglite();
    await one.exec(`create table only_here (value int); insert into only_here values (1)`);
    const { rows } = await other.query<{ count: string }>(`select count(*) from pg_tables where tablename = 'only_here'`);
    expect(rows).toEqual([{ count: '0' }]);
    const { rows: vectors } = await one.query<{ distance: number }>(`select '[1,0]'::vector <-> '[0,0]'::vector as distance`);
    expect(vectors).toEqual([{ distance: 1 }]);
    await one.close();
    await other.close();
  });

  it('says why when the data directory cannot be initialized', async () => {
    const directory = freshDirectory();
    const notADirectory = join(directory, 'a-file');
    writeFileSync(notADirectory, 'not a database');
    await expect(openPglite(notADirectory)).rejects.toThrow(/initializing the embedded database failed: .+/);
  });
});
