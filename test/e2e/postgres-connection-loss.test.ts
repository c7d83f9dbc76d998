import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testServices } from '../support/services.js';
import { startTessera, type RunningTessera } from '../support/tessera-harness.js';
import { apiClient, poll, type ApiClient } from './tessera-api.js';

/**
 * PostgreSQL ends idle connections when it restarts, fails over or is told to
 * (pg_terminate_backend). Tessera must ride that out: the pools reconnect on the next
 * query, and no connection error escapes as an uncaught exception that would end the
 * process.
 */
describe('PostgreSQL ending idle connections (services profile)', () => {
  let tessera: RunningTessera;
  let api: ApiClient;
  const uncaught: unknown[] = [];
  const record = (error: unknown) => void uncaught.push(error);

  beforeAll(async () => {
    tessera = await startTessera('services');
    api = apiClient(tessera);
    process.on('uncaughtException', record);
  });

  afterAll(async () => {
    process.off('uncaughtException', record);
    await tessera?.close();
  });

  it('keeps serving and raises no uncaught error when the server terminates its connections', async () => {
    const conversationId = await api.startConversation();
    await api.waitForTurn(await api.sendTurn(conversationId, 'Before the restart.'));
    await api.waitForConversation(conversationId, (view) => view.messages.length === 2);
    const database = new URL(tessera.config.databaseUrl).pathname.slice(1);

    const admin = new pg.Client({ connectionString: testServices.postgresUrl });
    await admin.connect();
    try {
      const terminated = await admin.query<{ terminated: boolean }>(
        'select pg_terminate_backend(pid) as terminated from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
        [database],
      );
      expect(terminated.rows.length).toBeGreaterThan(0);
    } finally {
      await admin.end();
    }
    await sleep(500);

    expect(uncaught.map((error) => String(error))).toEqual([]);
    const view = await poll(
      () => api.request('GET', `/v1/conversations/${conversationId}`),
      (response) => response.status === 200,
      10_000,
      'the conversation view to be served again',
    );
    expect(view.status).toBe(200);
    const turn = await api.waitForTurn(await api.sendTurn(conversationId, 'After the restart.'));
    expect(turn.status).toBe('completed');
  });
});
