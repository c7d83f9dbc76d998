import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
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
