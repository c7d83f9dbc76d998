import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IN_MEMORY, openBackend, type Backend } from '../../bin/composition/open-backend.js';
import { loadConfig } from '../../infra/config/load-config.js';
import type { TurnEnding } from '../turns/drive-to-end.js';
import type { SseWriter } from '../sse/sse-writer.js';
import { streamChatCompletion, type ChatStreamSources } from './stream-chat-completion.js';

const ANSWERED: TurnEnding = {
  status: 'completed',
  outcome: { answer: 'Late.', finishReason: 'stop', usage: { inputTokens: 3, outputTokens: 1, cachedInputTokens: 0 }, completedAt: new Date().toISOString() },
};

/** A writer that records what it was given; `opened` says whether the response was started at all. */
function recordingWriter() {
  const frames: unknown[] = [];
  let opened = false;
  const writer: SseWriter = {
    send: async ({ data }) => void frames.push(data),
    closed: new Promise(() => undefined),
    isClosed: () => false,
    end: () => undefined,
  };
  return { frames, opened: () => opened, open: () => ((opened = true), writer) };
}

describe('a streamed chat completion before its first output', () => {
  let backend: Backend;
  let sources: ChatStreamSources;
  beforeAll(async () => {
    const config = loadConfig({ TESSERA_DATA_DIR: IN_MEMORY });
    backend = await openBackend(config, pino({ level: 'silent' }));
    sources = { store: backend.store, hub: undefined as never, deltas: await backend.deltas() };
  });
  afterAll(() => backend?.close());

  it('opens no response for a client that left, and returns once the turn ends instead of waiting on a dead socket', async () => {
    const clientGone = new AbortController();
    const writer = recordingWriter();
    setTimeout(() => clientGone.abort(), 30);
    const turnEnd = () => new Promise<TurnEnding>((resolve) => setTimeout(() => resolve(ANSWERED), 150));

    await streamChatCompletion(writer.open, clientGone.signal, sources, randomUUID(), 'chat/default', false, undefined, turnEnd);

    expect(writer.opened()).toBe(false);
  });

  it('says nothing of a wait the client cut short (an aborted turn end is no failure to report)', async () => {
    const clientGone = new AbortController();
    const writer = recordingWriter();
    setTimeout(() => clientGone.abort(), 30);
    const turnEnd = (signal: AbortSignal) => new Promise<TurnEnding>((_, reject) => signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));

    await expect(streamChatCompletion(writer.open, clientGone.signal, sources, randomUUID(), 'chat/default', false, undefined, turnEnd)).resolves.toBeUndefined();
    expect(writer.opened()).toBe(false);
  });

  it('starts the response after headersWaitMs without output, so a slow first token is not a silent connection', async () => {
    const writer = recordingWriter();
    const turnEnd = () => new Promise<TurnEnding>((resolve) => setTimeout(() => resolve(ANSWERED), 300));
    const streaming = streamChatCompletion(writer.open, new AbortController().signal, sources, randomUUID(), 'chat/default', false, undefined, turnEnd, 50);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(writer.opened()).toBe(true);
    await streaming;
    expect(writer.frames.at(-1)).toBe('[DONE]');
    expect(JSON.stringify(writer.frames)).toContain('"content":"Late."');
  });

  it('starts the response with the whole answer when the turn ends before any delta reached it', async () => {
    const writer = recordingWriter();
    await streamChatCompletion(writer.open, new AbortController().signal, sources, randomUUID(), 'chat/default', false, undefined, async () => ANSWERED);

    expect(writer.opened()).toBe(true);
    expect(writer.frames.at(-1)).toBe('[DONE]');
    expect(JSON.stringify(writer.frames)).toContain('"content":"Late."');
  });
});
