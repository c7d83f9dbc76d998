import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { DomainError } from '../../domain/shared/domain-error.js';

export class DataDirectoryInUseError extends DomainError {
  constructor(
    readonly directory: string,
    readonly holder: number,
  ) {
    super(
      'TESSERA_DATA_DIRECTORY_IN_USE',
      `${directory} is in use by process ${holder}: two processes on one embedded database lose each other's writes. ` +
        'Stop that one first (the CLI\'s tenant, key and budget commands run while the server is stopped), or use the services profile to share a database.',
      'TESSERA_DATA_DIR',
    );
  }
}

/**
 * Takes the embedded database's directory for this process, or refuses: PGlite keeps the
 * database in memory and writes it back, so a second process on the same files would
 * silently overwrite the first's commits. A lock left by a process that is gone is taken
 * over. Returns the release, which only ever removes this process's own lock.
 */
export function lockDataDirectory(directory: string): () => void {
  const path = `${directory}.lock`;
  mkdirSync(dirname(path), { recursive: true });
  for (;;) {
    try {
      const descriptor = openSync(path, 'wx');
      writeSync(descriptor, String(process.pid));
      closeSync(descriptor);
      return () => {
        if (holderOf(path) === process.pid) unlinkSync(path);
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = holderOf(path);
      if (holder !== undefined && isRunning(holder)) throw new DataDirectoryInUseError(directory, holder);
      // Left by a process that is gone (or half written): taken over.
      try {
        unlinkSync(path);
      } catch (removal) {
        if ((removal as NodeJS.ErrnoException).code !== 'ENOENT') throw removal;
      }
    }
  }
}

function holderOf(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
