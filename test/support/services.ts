/** Where the real services of the services profile listen in tests; override with the same variables as production. */
export const testServices = {
  postgresUrl: process.env.TESSERA_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  natsUrl: process.env.TESSERA_TEST_NATS_URL ?? 'nats://127.0.0.1:4222',
  redisUrl: process.env.TESSERA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
  kurrentDbUrl: process.env.KURRENTDB_URL,
  openSearchUrl: process.env.OPENSEARCH_URL,
};
