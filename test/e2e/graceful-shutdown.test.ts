import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { serve } from '../../bin/commands/serve.js';
import { IN_MEMORY, openBackend } from '../../bin/composition/open-backend.js';
import { bootstrapDefaultTenant } from '../../bin/commands/tenant-commands.js';
import { loadConfig } from '../../infra/config/load-config.js';
import { streamId } from '../../domain/shared/stream-id.js';
import { createPgliteEventStore } from '../../infra/event-store/sql/pglite-event-store.js';
import { openPglite } from '../../infra/sql/pglite.js';
import { startFakeUpstream } from '../support/fake-upstream/index.js';
import { startTessera } from '../support/tessera-harness.js';
import { apiClient } from './tessera-api.js';

/** What a process stopping does to the turns it is driving itself. */
describe('stopping while a turn is being driven (embedded, on a data directory)', () => {
  it('finishes a turn accepted with 202 before the backend closes, so the log a new process finds has it completed', async () => {
    const upstream = await startFakeUpstream();
    const directory = mkdtempSync(join(tmpdir(), 'tessera-shutdown-'));
    const tessera = await startTessera('embedded', { TESSERA_DATA_DIR: directory, TESSERA_MODEL_BASE_URL: upstream.url, TESSERA_CHAT_MODEL: 'fake-chat' });
    let turnId: string;
    try {
      const api = apiClient(tessera);
      const conversationId = await api.startConversation();
      const accepted = await api.request<{ id: string }>('POST', `/v1/conversations/${conversationId}/turns`, {
        body: { message: 'Take your time [[fake: reply="Done at last." delay=1500]]', stream: false },
      });
      expect(accepted.status).toBe(202);
      turnId = accepted.body.id;
    } finally {
      // At once: the model call is still out.
      await tessera.close();
      await upstream.close();
    }
    const store = createPgliteEventStore(await openPglite(join(directory, 'pglite')), { ownsDatabase: true });
    try {
      const types = (await store.readStream(streamId('turn', turnId))).events.map((event) => event.type);
      expect(types).toEqual(['TurnRequested', 'PromptBuilt', 'ModelCallStarted', 'ModelCallCompleted', 'OutputValidated', 'TurnCompleted']);
    } finally {
      await store.close();
    }
  });
});

describe('stopping the API with a stream open and a turn being driven', () => {
  it('takes one grace period in all, not one for the streams and another for the turns', async () => {
    const graceMs = 1_000;
    const upstream = await startFakeUpstream();
    const config = loadConfig({
      TESSERA_DATA_DIR: IN_MEMORY,
      TESSERA_HTTP_PORT: '0',
      TESSERA_MODEL_BASE_URL: upstream.url,
      TESSERA_CHAT_MODEL: 'fake-chat',
      TESSERA_HTTP_SHUTDOWN_GRACE_MS: String(graceMs),
    });
    const logger = pino({ level: 'silent' });
    const backend = await openBackend(config, logger);
    try {
      const key = await bootstrapDefaultTenant(backend);
      const { app, stop } = await serve(backend, config, logger);
      const { port } = app.server.address() as { port: number };
      const url = `http://127.0.0.1:${port}`;
      const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
      const conversation = (await (await fetch(`${url}/v1/conversations`, { method: 'POST', headers, body: '{}' })).json()) as { id: string };
      const accepted = await fetch(`${url}/v1/conversations/${conversation.id}/turns`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ message: 'Slowly [[fake: reply="Too late." delay=6000]]', stream: false }),
      });
      expect(accepted.status).toBe(202);
      const { id: turnId } = (await accepted.json()) as { id: string };
      // Open until the turn ends, which is after the grace period.
      const follower = await fetch(`${url}/v1/turns/${turnId}/stream`, { headers });
      expect(follower.status).toBe(200);

      const stopping = performance.now();
      await stop();
      const tookMs = performance.now() - stopping;
      expect(tookMs).toBeGreaterThanOrEqual(graceMs - 50);
      expect(tookMs).toBeLessThan(graceMs * 1.6);
    } finally {
      await backend.close();
      await upstream.close();
    }
  });
});
