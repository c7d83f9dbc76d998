import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../bin/composition/build-api.js';
import { openBackend, type Backend } from '../../bin/composition/open-backend.js';
import { createTenant, issueApiKey } from '../../commands/tenants.js';
import { loadConfig } from '../../infra/config/load-config.js';
import { projectKeys } from '../support/project-keys.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres-database.js';
import { testServices } from '../support/services.js';
import { closedPort } from '../support/closed-port.js';
import { deleteRedisKeys } from '../support/redis-keys.js';
import { deleteNatsStreams } from '../support/tessera-harness.js';

const TESSERA = fileURLToPath(new URL('../../bin/tessera', import.meta.url));
const KEY_LIMIT = 6;
const TENANT_LIMIT = 9;

interface Exchange {
  server: string;
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/**
 * Two API processes of the services profile (this one and a `tessera serve` child) on
 * one PostgreSQL database and one Redis: the limits are one budget, whichever process
 * a request reaches.
 */
describe('rate limits across two API processes (services profile, real Redis)', () => {
  const suffix = randomUUID().replaceAll('-', '').slice(-12);
  const redisKeyPrefix = `test:${suffix}:`;
  const natsStream = `TEST_RATE_LIMITS_${suffix.toUpperCase()}`;
  let database: TestDatabase;
  let settings: Record<string, string>;
  let backend: Backend;
  let inProcessApi: FastifyInstance;
  let child: ChildProcess;
  let servers: [string, string];
  const keyOf: Record<string, string> = {};

  beforeAll(async () => {
    database = await createTestDatabase();
    settings = {
      TESSERA_PROFILE: 'services',
      TESSERA_DATABASE_URL: database.url,
      TESSERA_DATABASE_POOL_SIZE: '4',
      TESSERA_NATS_URL: testServices.natsUrl,
      TESSERA_NATS_STREAM: natsStream,
      TESSERA_NATS_SUBJECT_PREFIX: `test${suffix}.events`,
      TESSERA_REDIS_URL: testServices.redisUrl,
      TESSERA_REDIS_KEY_PREFIX: redisKeyPrefix,
      TESSERA_RATE_LIMIT_KEY_REQUESTS_PER_MINUTE: String(KEY_LIMIT),
      TESSERA_RATE_LIMIT_TENANT_REQUESTS_PER_MINUTE: String(TENANT_LIMIT),
      TESSERA_HTTP_HOST: '127.0.0.1',
      TESSERA_HTTP_PORT: '0',
      TESSERA_METRICS_ENABLED: 'false',
    };
    const started = await startInProcessApi(settings);
    backend = started.backend;
    inProcessApi = started.app;
    const keyIds: string[] = [];
    for (const name of ['sequential', 'split', 'racing', 'bystander', 'redis-down']) {
      const tenantId = await createTenant(backend.store, { name, actor: 'test' });
      const issued = await issueApiKey(backend.store, { tenantId, name, actor: 'test' });
      keyOf[name] = issued.key;
      keyIds.push(issued.keyId);
      if (name === 'split') {
        const second = await issueApiKey(backend.store, { tenantId, name: 'second', actor: 'test' });
        keyOf['split-second'] = second.key;
        keyIds.push(second.keyId);
      }
    }
    await projectKeys(backend, keyIds);
    const spawned = await spawnServe(settings);
    child = spawned.child;
    servers = [started.url, spawned.url];
  }, 120_000);

  afterAll(async () => {
    if (child) await stop(child);
    await inProcessApi?.close();
    await backend?.close();
    await database?.drop();
    await deleteNatsStreams(natsStream);
    await deleteRedisKeys(redisKeyPrefix);
  });

  const get = async (server: string, key: string): Promise<Exchange> => {
    const response = await fetch(`${server}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
    const text = await response.text();
    return { server, status: response.status, headers: response.headers, body: JSON.parse(text) as Record<string, unknown> };
  };
  const alternating = async (key: string, count: number): Promise<Exchange[]> => {
    const exchanges: Exchange[] = [];
    for (let index = 0; index < count; index += 1) exchanges.push(await get(servers[index % 2]!, key));
    return exchanges;
  };

  it('accepts exactly the limit from requests alternating between the processes, then both answer 429 with Retry-After', async () => {
    const exchanges = await alternating(keyOf.sequential!, KEY_LIMIT + 4);

    expect(exchanges.map((exchange) => exchange.status)).toEqual([...Array<number>(KEY_LIMIT).fill(200), 429, 429, 429, 429]);
    // One count, not two: each process sees what the other admitted.
    expect(exchanges.slice(0, KEY_LIMIT).map((exchange) => exchange.headers.get('x-ratelimit-remaining-requests'))).toEqual(['5', '4', '3', '2', '1', '0']);
    const refused = exchanges.slice(KEY_LIMIT);
    expect(new Set(refused.map((exchange) => exchange.server))).toEqual(new Set(servers));
    for (const exchange of refused) {
      expect(exchange.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const retryAfter = Number(exchange.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(exchange.headers.get('x-ratelimit-limit')).toBe(String(KEY_LIMIT));
      expect(exchange.headers.get('x-ratelimit-remaining')).toBe('0');
      expect(exchange.body).toMatchObject({
        status: 429,
        title: 'Too Many Requests',
        code: 'TESSERA_KEY_REQUEST_LIMIT_EXCEEDED',
        error: { code: 'rate_limit_exceeded', message: expect.stringMatching(/API key may use 6 requests per minute/) as unknown },
      });
    }
  });

  it('admits exactly the limit when requests race through both processes at once', async () => {
    const exchanges = await Promise.all(Array.from({ length: 20 }, (_, index) => get(servers[index % 2]!, keyOf.racing!)));
    expect(exchanges.filter((exchange) => exchange.status === 200)).toHaveLength(KEY_LIMIT);
    expect(exchanges.filter((exchange) => exchange.status === 429)).toHaveLength(20 - KEY_LIMIT);
  });

  it('limits each key on its own and the keys of one tenant together, leaving other tenants alone', async () => {
    const first = await alternating(keyOf.split!, KEY_LIMIT + 1);
    expect(first.map((exchange) => exchange.status)).toEqual([...Array<number>(KEY_LIMIT).fill(200), 429]);
    expect(first.at(-1)!.body.code).toBe('TESSERA_KEY_REQUEST_LIMIT_EXCEEDED');

    // The tenant has TENANT_LIMIT - KEY_LIMIT requests left, whichever of its keys asks.
    const second = await alternating(keyOf['split-second']!, TENANT_LIMIT - KEY_LIMIT + 1);
    expect(second.map((exchange) => exchange.status)).toEqual([...Array<number>(TENANT_LIMIT - KEY_LIMIT).fill(200), 429]);
    expect(second.at(-1)!.body.code).toBe('TESSERA_TENANT_REQUEST_LIMIT_EXCEEDED');
    expect(second.at(-1)!.body.detail).toMatch(/tenant's keys together may use 9 requests per minute/);

    expect((await get(servers[1], keyOf.bystander!)).status).toBe(200);
  });

  it('keeps answering when Redis is unreachable, limiting in each process instead', async () => {
    const unreachable = await startInProcessApi({ ...settings, TESSERA_REDIS_URL: `redis://127.0.0.1:${await closedPort()}` });
    try {
      const started = Date.now();
      const exchanges: Exchange[] = [];
      for (let index = 0; index < KEY_LIMIT + 1; index += 1) exchanges.push(await get(unreachable.url, keyOf['redis-down']!));
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(exchanges.map((exchange) => exchange.status)).toEqual([...Array<number>(KEY_LIMIT).fill(200), 429]);
      expect(exchanges.at(-1)!.headers.get('retry-after')).toMatch(/^\d+$/);
    } finally {
      await unreachable.app.close();
      await unreachable.backend.close();
    }
  });
});

async function startInProcessApi(settings: Record<string, string>): Promise<{ app: FastifyInstance; backend: Backend; url: string }> {
  const config = loadConfig({ ...settings, TESSERA_LOG_LEVEL: process.env.TESSERA_TEST_LOG_LEVEL ?? 'silent' });
  const logger = pino({ level: config.logLevel });
  const backend = await openBackend(config, logger);
  const app = await buildApi(backend, config, logger);
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, backend, url };
}

/** `tessera serve` as an operator starts a second API process; its address is read from its log. */
async function spawnServe(settings: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const environment: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('TESSERA_')));
  const child = spawn(TESSERA, ['serve'], { env: { ...environment, ...settings, TESSERA_LOG_LEVEL: 'info' }, stdio: ['ignore', 'ignore', 'pipe'] });
  const lines: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tessera serve did not start within 90 s:\n${lines.slice(-20).join('\n')}`)), 90_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`tessera serve exited with ${code}:\n${lines.slice(-20).join('\n')}`));
    });
    createInterface({ input: child.stderr }).on('line', (line) => {
      lines.push(line);
      const entry = parseLogLine(line);
      if (entry?.msg === 'API listening' && typeof entry.address === 'string') {
        clearTimeout(timer);
        resolve(entry.address);
      }
    });
  });
  return { child, url };
}

function parseLogLine(line: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}
