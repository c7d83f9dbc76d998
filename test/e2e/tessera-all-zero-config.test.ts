import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { poll, typesOf, type TurnView } from './tessera-api.js';

const TESSERA = fileURLToPath(new URL('../../bin/tessera', import.meta.url));
const KEY = /tsk_[0-9a-f]{32}_[A-Za-z0-9_-]{43}/g;

interface RunningAll {
  child: ChildProcess;
  url: string;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * `bin/tessera all` as someone trying Tessera runs it: its own process, no settings but
 * where to keep its data (a fresh directory, so a second start finds the first one's)
 * and a port of its own (0: the system picks a free one; the log names it). No model
 * URL, so the offline local provider answers.
 */
describe('tessera all with zero configuration, as a child process', () => {
  let dataDirectory: string;
  let running: RunningAll | undefined;
  let first: { url: string; key: string; stderr: string } | undefined;
  let conversationId: string | undefined;

  beforeAll(() => {
    dataDirectory = mkdtempSync(join(tmpdir(), 'tessera-all-'));
  });

  afterAll(async () => {
    // Only when a test failed before stopping it: never leave a server behind.
    if (running && running.child.exitCode === null && running.child.signalCode === null) {
      running.child.kill('SIGKILL');
      await running.exited;
    }
    rmSync(dataDirectory, { recursive: true, force: true });
  });

  const request = async <Body>(url: string, key: string | undefined, method: string, path: string, body?: unknown) => {
    const headers: Record<string, string> = {};
    if (key !== undefined) headers.authorization = `Bearer ${key}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: response.status, headers: response.headers, body: (await response.json()) as Body };
  };

  it('prints its bootstrap API key once, on stderr only, on the first start', async () => {
    running = await startAll(dataDirectory);
    // The key is printed before the API listens; both are on stderr by then.
    const keys = running.stderr().match(KEY) ?? [];
    expect(keys).toHaveLength(1);
    expect(running.stderr()).toContain('Created tenant "default". Its API key, shown this once:');
    expect(running.stdout()).not.toMatch(/tsk_/);
    first = { url: running.url, key: keys[0]!, stderr: running.stderr() };
  });

  it('answers a REST turn through that key with the local provider, which says it has no context', async () => {
    const { url, key } = started(first);
    expect((await request(url, 'tsk_not_a_key', 'POST', '/v1/conversations', {})).status).toBe(401);

    const conversation = await request<{ id: string }>(url, key, 'POST', '/v1/conversations', { title: 'first steps' });
    expect(conversation.status).toBe(201);
    conversationId = conversation.body.id;
    const message = 'What is the refund window?';
    const accepted = await request<{ id: string }>(url, key, 'POST', `/v1/conversations/${conversationId}/turns`, { message, mode: 'rag', stream: false });
    expect(accepted.status).toBe(202);

    const turn = await poll(
      async () => (await request<TurnView>(url, key, 'GET', `/v1/turns/${accepted.body.id}`)).body,
      (view) => view.status === 'completed' || view.status === 'failed',
      15_000,
      'the turn to end',
    );
    expect(turn.status).toBe('completed');
    // Nothing was ingested, so retrieval finds nothing and the offline model says so instead of inventing an answer.
    expect(turn.answer).toBe(`I have no context to answer from, so I cannot answer: "${message}".`);
    expect(typesOf(turn.timeline)).toEqual(['TurnRequested', 'ContextRetrieved', 'PromptBuilt', 'ModelCallStarted', 'ModelCallCompleted', 'OutputValidated', 'TurnCompleted']);
  });

  it('answers an OpenAI chat completion through that key, quoting the context it was given with its citation', async () => {
    const { url, key } = started(first);
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: key, maxRetries: 0 });
    const completion = await client.chat.completions.create({
      model: 'chat/default',
      messages: [
        { role: 'system', content: '[doc_1] The refund window is thirty days from delivery.\n[doc_2] Shipping is free on orders over fifty euros.' },
        { role: 'user', content: 'How long is the refund window?' },
      ],
    });
    expect(completion.choices[0]?.message.content).toBe('The refund window is thirty days from delivery. [doc_1]');
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(completion.usage?.completion_tokens).toBeGreaterThan(0);
  });

  it('stops on SIGTERM with exit code 0 once its work is finished', async () => {
    const stopping = started(running);
    stopping.child.kill('SIGTERM');
    const { code, signal } = await withTimeout(stopping.exited, 20_000, 'tessera all to exit after SIGTERM');
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(logMessages(stopping.stderr())).toEqual(expect.arrayContaining(['stopping: finishing in-flight work', 'stopped']));
  });

  it('prints no key on a second start over the same data, where the first key and conversation are still good', async () => {
    const { key } = started(first);
    running = await startAll(dataDirectory);
    const { url } = running;
    expect(running.stderr()).not.toMatch(/tsk_/);
    expect(running.stderr()).not.toContain('Created tenant');

    const models = await request<{ data: { id: string }[] }>(url, key, 'GET', '/v1/models');
    expect(models.status).toBe(200);
    expect(models.body.data.map((model) => model.id)).toContain('chat/default');
    const view = await request<{ messages: { role: string }[] }>(url, key, 'GET', `/v1/conversations/${started(conversationId)}`);
    expect(view.status).toBe(200);
    expect(view.body.messages.map((entry) => entry.role)).toEqual(['user', 'assistant']);

    // A CLI command on the data directory the server holds would lose its writes: it is refused.
    const environment = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('TESSERA_')));
    const refused = await runTessera(['key', 'issue', '--tenant', 'default'], { ...environment, TESSERA_DATA_DIR: dataDirectory });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('TESSERA_DATA_DIRECTORY_IN_USE');
    expect(refused.stderr).toContain(`in use by process ${running.child.pid}`);

    running.child.kill('SIGTERM');
    expect(await withTimeout(running.exited, 20_000, 'the second start to exit after SIGTERM')).toEqual({ code: 0, signal: null });
  });

  it('prints its usage and exits 0 when asked for help, and refuses an unknown flag in one line with exit 2', async () => {
    const help = await runTessera(['--help'], process.env);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('tessera');
    const unknownFlag = await runTessera(['key', 'issue', '--bogus'], process.env);
    expect(unknownFlag.code).toBe(2);
    expect(unknownFlag.stderr.trim().split('\n')).toHaveLength(1);
    expect(unknownFlag.stderr).toContain('--bogus');
  });
});

/** Runs a short tessera command to its end. */
function runTessera(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(TESSERA, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The later tests build on the earlier ones; one that failed leaves nothing to build on. */
function started<Value>(value: Value | undefined): Value {
  if (value === undefined) throw new Error('an earlier step of this sequence failed');
  return value;
}

async function startAll(dataDirectory: string): Promise<RunningAll> {
  // The test run's own TESSERA_* variables (the test services) are not the zero configuration under test.
  const environment = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('TESSERA_')));
  const child = spawn(TESSERA, ['all'], {
    env: { ...environment, TESSERA_DATA_DIR: dataDirectory, TESSERA_HTTP_PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const listening = async (): Promise<string> => {
    for (;;) {
      const entry = logEntries(stderr).find((line) => line.msg === 'API listening');
      if (typeof entry?.address === 'string') return entry.address;
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`tessera all exited before listening:\n${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  try {
    const url = await withTimeout(listening(), 25_000, `tessera all to listen; its output so far:\n${stderr}`);
    return { child, url, stdout: () => stdout, stderr: () => stderr, exited };
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    throw error;
  }
}

function logEntries(output: string): Record<string, unknown>[] {
  return output.split('\n').flatMap((line) => {
    if (!line.startsWith('{')) return [];
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

const logMessages = (output: string): unknown[] => logEntries(output).map((entry) => entry.msg);

async function withTimeout<Value>(promise: Promise<Value>, ms: number, what: string): Promise<Value> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
