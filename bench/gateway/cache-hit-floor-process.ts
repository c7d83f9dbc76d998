import { createHash, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';

/**
 * The floor under a cache hit on this machine: a bare `node:http` server that makes the
 * round trips a recorded cache hit needs and nothing else. Per request: one Lua call
 * counting it in Redis (as the rate limits do), one Redis read of the cached answer, one
 * insert of the request and the answer into PostgreSQL with a synchronous commit (as the
 * turn's record is), then the answer. Prints `CACHE_HIT_FLOOR_URL=<url>` once it
 * listens; SIGTERM drops its table and exits.
 */
const { values } = parseArgs({
  options: {
    'postgres-url': { type: 'string' },
    'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' },
  },
});

const COUNT_SCRIPT = "local used = redis.call('INCRBY', KEYS[1], 1) if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], 60000) end return used";
const name = `bench_cache_hit_floor_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
const redis = new Redis(values['redis-url']);
const pool = new pg.Pool({ connectionString: values['postgres-url'], max: 4 });
await pool.query(`create table ${name} (id bigserial primary key, data jsonb not null)`);

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    void answer(Buffer.concat(chunks).toString('utf8')).then(
      (body) => {
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        response.end(body);
      },
      (error: unknown) => {
        response.writeHead(500, { 'content-type': 'text/plain' });
        response.end(String(error));
      },
    );
  });
});

async function answer(requestBody: string): Promise<string> {
  const key = `${name}:${createHash('sha256').update(requestBody).digest('hex')}`;
  await redis.eval(COUNT_SCRIPT, 1, `${name}:count`);
  let cached = await redis.get(key);
  if (cached === null) {
    // The first request fills the cache with what the fake upstream would have said.
    const { messages } = JSON.parse(requestBody) as { messages: { content: string }[] };
    cached = JSON.stringify({ text: /reply="([^"]*)"/.exec(messages.at(-1)?.content ?? '')?.[1] ?? '' });
    await redis.set(key, cached, 'PX', 600_000);
  }
  await pool.query(`insert into ${name} (data) values ($1), ($2)`, [requestBody, cached]);
  const { text } = JSON.parse(cached) as { text: string };
  return JSON.stringify({
    id: `chatcmpl-${randomUUID()}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1_000),
    model: 'floor',
    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
  });
}

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(`CACHE_HIT_FLOOR_URL=http://127.0.0.1:${port}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    server.close();
    void pool
      .query(`drop table if exists ${name}`)
      .finally(async () => {
        const keys = await redis.keys(`${name}:*`);
        if (keys.length > 0) await redis.del(...keys);
        redis.disconnect();
        await pool.end();
      })
      .finally(() => process.exit(0));
  });
}
