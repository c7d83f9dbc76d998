import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';

/*
 * PGlite creates a new cluster by starting a second PostgreSQL instance and the initdb
 * program inside the calling process. Their WebAssembly memories (several hundred MB)
 * are often never given back, so a process that ran initdb holds that memory for its
 * whole life. Running initdb in a short-lived child process leaves the server with only
 * the memory of the instance it actually uses.
 */

const runNode = promisify(execFile);
const PGLITE_ENTRY = createRequire(import.meta.url).resolve('@electric-sql/pglite');
/** A cluster's image is its data files: tens of MB, read from the child's standard output. */
const MAX_IMAGE_BYTES = 512 * 1024 * 1024;

const CHILD_SCRIPT = `
const { PGlite } = require(process.argv[1]);
const dataDir = process.argv[2] || undefined;
(async () => {
  const pglite = await PGlite.create({ dataDir });
  if (!dataDir) {
    const image = await pglite.dumpDataDir('none');
    process.stdout.write(Buffer.from(await image.arrayBuffer()));
  }
  await pglite.close();
})().catch((error) => {
  process.stderr.write(String(error && error.stack || error));
  process.exit(1);
});
`;

async function runInitdbChild(dataDir: string | undefined): Promise<Buffer> {
  try {
    const { stdout } = await runNode(process.execPath, ['-e', CHILD_SCRIPT, PGLITE_ENTRY, dataDir ?? ''], {
      encoding: 'buffer',
      maxBuffer: MAX_IMAGE_BYTES,
      // The child is plain CommonJS; the parent's loader flags (tsx, a profiler) do not apply to it.
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    return stdout;
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`initializing the embedded database failed${stderr ? `: ${stderr}` : ''}`, { cause: error });
  }
}

/** Creates the cluster in `dataDir` unless one is already there. */
export async function ensurePgliteCluster(dataDir: string): Promise<void> {
  if (existsSync(join(dataDir, 'PG_VERSION'))) return;
  await runInitdbChild(dataDir);
}

/*
 * Every in-memory database of a process starts from the same freshly initialized
 * cluster, so its image is made once and kept while databases keep being opened (a test
 * run opens hundreds); a server, which opens one, lets the bytes go a minute after.
 */
const IMAGE_KEPT_MS = 60_000;
let freshImage: Promise<Buffer> | undefined;
let forgetImage: NodeJS.Timeout | undefined;

/** The data files of a freshly initialized cluster, as the tar PGlite's `loadDataDir` takes. */
export async function freshPgliteImage(): Promise<Blob> {
  const image = (freshImage ??= runInitdbChild(undefined));
  clearTimeout(forgetImage);
  forgetImage = setTimeout(() => (freshImage = undefined), IMAGE_KEPT_MS).unref();
  try {
    return new Blob([await image]);
  } catch (error) {
    if (freshImage === image) freshImage = undefined;
    throw error;
  }
}
