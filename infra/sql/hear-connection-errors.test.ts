import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { testServices } from '../../test/support/services.js';
import { hearConnectionErrors } from './hear-connection-errors.js';

describe('a pool that hears its connections’ errors', () => {
  const heard: string[] = [];
  const uncaught: unknown[] = [];
  const record = (error: unknown) => void uncaught.push(error);
  process.on('uncaughtException', record);
  const pool = hearConnectionErrors(new pg.Pool({ connectionString: testServices.postgresUrl, max: 2 }), (error) => void heard.push(error.message));
  afterAll(async () => {
    process.off('uncaughtException', record);
    await pool.end();
  });

  const terminate = async (pid: number) => {
    const admin = new pg.Client({ connectionString: testServices.postgresUrl });
    await admin.connect();
    try {
      await admin.query('select pg_terminate_backend($1)', [pid]);
    } finally {
      await admin.end();
    }
  };

  it('reports a connection ended by the server while a client is checked out between statements, and keeps serving', async () => {
    const client = await pool.connect();
    try {
      await client.query('begin');
      const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
      await terminate(rows[0]!.pid);
      await sleep(200);
      expect(uncaught).toEqual([]);
      expect(heard[0]).toContain('terminating connection');
      await expect(client.query('select 1')).rejects.toThrow();
    } finally {
      client.release(true);
    }
    expect((await pool.query<{ one: number }>('select 1 as one')).rows).toEqual([{ one: 1 }]);
  });

  it('reports an idle client ended by the server once', async () => {
    heard.length = 0;
    const client = await pool.connect();
    const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
    client.release();
    await terminate(rows[0]!.pid);
    await sleep(200);
    expect(uncaught).toEqual([]);
    expect(heard).toHaveLength(1);
  });
});
