import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { newId } from '../../domain/shared/ids.js';
import { createBenchDatabase, type BenchDatabase } from '../support/bench-database.js';
import { startChild } from './child-process.js';
import { findFreePort, waitUntilListening } from './free-port.js';
import { REPOSITORY_ROOT } from './tsx-loader.js';

export type TesseraProfile = 'embedded' | 'services';

export interface TesseraProcessOptions {
  profile: TesseraProfile;
  /** The fake upstream's base URL, ending in `/v1`. */
  modelBaseUrl: string;
  /** Services profile: the server the run's fresh database is made on. */
  postgresUrl?: string;
  /** Services profile: the NATS server. */
  natsUrl?: string;
  /** Embedded profile: TESSERA_DATA_DIR; `:memory:` unless given. */
  dataDirectory?: string;
  /** More TESSERA_* settings, e.g. a longer model timeout. */
  settings?: Record<string, string>;
  /**
   * Node flags for the server, e.g. `--cpu-prof` (which NODE_OPTIONS refuses): its
   * compiled entry is then started with these flags, as `bin/tessera` starts it.
   */
  nodeArguments?: readonly string[];
  /**
   * Services profile: `serve`, `worker` and `project` as three processes, as a fleet
   * runs them, instead of one `all`; the flags and the figures are the API's.
   */
  split?: boolean;
  /** Another checkout to run Tessera from (a build to compare with); this one by default. */
  repositoryRoot?: string;
}

export interface TesseraProcess {
  profile: TesseraProfile;
  url: string;
  /** An API key of a tenant made for the bench. */
  key: string;
  pid: number;
  /** Services profile: the database made for this run. */
  databaseName: string | undefined;
  /** Lines the server logged at warn or above, for the report. */
  warnings(): string[];
  /** Stops the server (SIGTERM, SIGKILL after the grace period) and removes what the bench created. */
  stop(graceMs?: number): Promise<{ signalled: 'SIGTERM' | 'SIGKILL' }>;
}

const STARTUP_TIMEOUT_MS = 120_000;
const runTessera = promisify(execFile);

/**
 * `bin/tessera all` in its own process (or, split, `serve`, `worker` and `project`), as an operator runs it: embedded on in-memory
 * PGlite (the first start prints its bootstrap key), or services on a database and NATS
 * stream made for this run, with a tenant and key issued through the CLI beforehand.
 */
export async function spawnTessera(options: TesseraProcessOptions): Promise<TesseraProcess> {
  const root = options.repositoryRoot ?? REPOSITORY_ROOT;
  const tessera = join(root, 'bin/tessera');
  const compiledTessera = join(root, 'dist/bin/tessera.js');
  // Measured as it runs in production, compiled: with a build older than any source file
  // (a bench's own included), bin/tessera falls back to tsx's loader, which holds 50 to
  // 90 MB more. Incremental, so quick when nothing changed.
  process.stderr.write('compiling the server (npm run build)…\n');
  await runTessera('npm', ['run', '--silent', 'build'], { cwd: root });
  const port = await findFreePort();
  const suffix = newId().replaceAll('-', '').slice(-12);
  const natsStream = `BENCH_${suffix.toUpperCase()}`;
  let database: BenchDatabase | undefined;
  const environment: NodeJS.ProcessEnv = {
    ...withoutTesseraSettings(process.env),
    TESSERA_PROFILE: options.profile,
    TESSERA_HTTP_HOST: '127.0.0.1',
    TESSERA_HTTP_PORT: String(port),
    TESSERA_MODEL_BASE_URL: options.modelBaseUrl,
    TESSERA_LOG_LEVEL: 'warn',
    ...options.settings,
  };
  if (options.profile === 'embedded') {
    environment.TESSERA_DATA_DIR = options.dataDirectory ?? ':memory:';
  } else {
    if (!options.postgresUrl || !options.natsUrl) throw new Error('the services profile needs a PostgreSQL and a NATS URL');
    database = await createBenchDatabase(options.postgresUrl, `bench_tessera_${suffix}`);
    Object.assign(environment, {
      TESSERA_DATABASE_URL: database.url,
      TESSERA_NATS_URL: options.natsUrl,
      TESSERA_NATS_STREAM: natsStream,
      TESSERA_NATS_SUBJECT_PREFIX: `bench${suffix}.events`,
    });
  }

  const cleanUp = async () => {
    if (!database) return;
    if (options.natsUrl) await deleteNatsStream(options.natsUrl, natsStream).catch(() => undefined);
    await database.drop();
  };

  try {
    let key: string | undefined;
    if (options.profile === 'services') {
      await runTessera(tessera, ['tenant', 'create', '--name', 'bench', '--tenant', 'bench'], { env: environment });
      const issued = await runTessera(tessera, ['key', 'issue', '--tenant', 'bench'], { env: environment });
      key = issued.stdout.trim();
    }
    const split = options.split === true && options.profile === 'services';
    const start = (command: string, nodeArguments?: readonly string[]) =>
      nodeArguments?.length
        ? startChild(`tessera ${command} (${options.profile})`, process.execPath, [...nodeArguments, compiledTessera, command], environment)
        : startChild(`tessera ${command} (${options.profile})`, tessera, [command], environment);
    const child = start(split ? 'serve' : 'all', options.nodeArguments);
    const helpers = split ? [start('worker'), start('project')] : [];
    const stopHelpers = () => Promise.all(helpers.map((helper) => helper.stop(5_000)));
    try {
      key ??= (await child.waitForOutput(/(tsk_[A-Za-z0-9_-]+)/, STARTUP_TIMEOUT_MS))[1];
      await waitUntilListening(`http://127.0.0.1:${port}/health`, STARTUP_TIMEOUT_MS, () => !child.exited());
    } catch (error) {
      await child.stop(5_000);
      await stopHelpers();
      throw error;
    }
    if (!key?.startsWith('tsk_')) throw new Error(`tessera issued no API key: ${key ?? ''}`);
    return {
      profile: options.profile,
      url: `http://127.0.0.1:${port}`,
      key,
      pid: child.pid,
      databaseName: database?.name,
      warnings: () => child.matchingLines(/"level":(40|50|60)/),
      async stop(graceMs = 20_000) {
        const { signalled } = await child.stop(graceMs);
        await stopHelpers();
        await cleanUp();
        return { signalled };
      },
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

/** The parent's own TESSERA_* variables must not leak into the server under test. */
function withoutTesseraSettings(environment: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(environment).filter(([name]) => !name.startsWith('TESSERA_')));
}

async function deleteNatsStream(natsUrl: string, stream: string): Promise<void> {
  const connection = await connect({ servers: natsUrl, name: 'tessera-bench-cleanup' });
  try {
    await (await jetstreamManager(connection)).streams.delete(stream);
  } finally {
    await connection.close();
  }
}
