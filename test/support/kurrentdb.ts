import { KurrentDBClient } from '@kurrent/kurrentdb-client';
import { testServices } from './services.js';

export interface KurrentDbUnderTest {
  client: KurrentDBClient;
  stop(): Promise<void>;
}

const IMAGE = 'docker.kurrent.io/kurrent-latest/kurrentdb:latest';
const HTTP_PORT = 2113;
/** Long enough for a local engine to answer, short enough that a machine without one barely notices. */
const RUNTIME_CHECK_MS = 2_000;
/** A cold image pull is most of this. */
const STARTUP_TIMEOUT_MS = 180_000;

/**
 * A KurrentDB for the contract suites: the server at KURRENTDB_URL when set, else a
 * throwaway in-memory container when a Docker engine answers, else the reason why not,
 * so the run can say it did not cover the adapter instead of failing.
 */
export async function startKurrentDb(): Promise<KurrentDbUnderTest | { unavailable: string }> {
  const url = testServices.kurrentDbUrl;
  if (url) {
    const client = KurrentDBClient.connectionString(url);
    return { client, stop: () => client.dispose() };
  }
  if (!(await containerRuntimeAnswers())) return { unavailable: 'no KURRENTDB_URL and no Docker engine' };
  try {
    return await startContainer();
  } catch (error) {
    return { unavailable: `a Docker engine answered but KurrentDB did not start: ${(error as Error).message}` };
  }
}

async function containerRuntimeAnswers(): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), RUNTIME_CHECK_MS);
    timer.unref();
  });
  // testcontainers is loaded only here, so runs with KURRENTDB_URL never pay for it.
  const probe = import('testcontainers')
    .then(({ getContainerRuntimeClient }) => getContainerRuntimeClient())
    .then(
      () => true,
      () => false,
    );
  try {
    return await Promise.race([probe, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function startContainer(): Promise<KurrentDbUnderTest> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const container = await new GenericContainer(IMAGE)
    .withEnvironment({
      KURRENTDB_INSECURE: 'true',
      KURRENTDB_RUN_PROJECTIONS: 'None',
      KURRENTDB_MEM_DB: 'true',
    })
    .withExposedPorts(HTTP_PORT)
    .withWaitStrategy(Wait.forHttp('/health/live', HTTP_PORT))
    .withStartupTimeout(STARTUP_TIMEOUT_MS)
    .start();
  const client = KurrentDBClient.connectionString(
    `kurrentdb://${container.getHost()}:${container.getMappedPort(HTTP_PORT)}?tls=false`,
  );
  return {
    client,
    async stop() {
      await client.dispose();
      await container.stop();
    },
  };
}
