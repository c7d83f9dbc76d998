import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTessera, type RunningTessera } from '../support/tessera-harness.js';
import { apiClient, countEvents, type ApiClient, type ApiResponse, type Problem } from './tessera-api.js';

const RUNS = 200;
/** Bodies may be this large; larger ones must get 413, which the fuzz also sends. */
const BODY_LIMIT_BYTES = 64 * 1024;

/** Anything JSON can say, including the shapes a confused client sends. */
const anyJson = fc.jsonValue({ maxDepth: 3 });

/** A value of the wrong type for `field`: picked from every JSON type but the right one. */
const wrongTypeFor = (rightType: 'string' | 'boolean' | 'number' | 'object') =>
  fc.oneof(
    fc.string(),
    fc.boolean(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.constant(null),
    fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
  ).filter((value) => {
    if (value === null) return true;
    if (Array.isArray(value)) return true;
    return typeof value !== rightType;
  });

const hugeString = fc.constantFrom(100_001, 200_000, BODY_LIMIT_BYTES + 1).map((length) => 'x'.repeat(length));
const extraFieldName = fc.string({ minLength: 1, maxLength: 12 });

/** The turn body's fields and the type each must have. */
const TURN_FIELDS = {
  message: 'string',
  mode: 'string',
  stream: 'boolean',
  model: 'string',
  userId: 'string',
  maxOutputTokens: 'number',
  temperature: 'number',
  seed: 'number',
} as const;

const CONVERSATION_FIELDS = { title: 'string', promptName: 'string', userId: 'string', metadata: 'object' } as const;

/** Valid turn bodies; `stream` is left out or false so the response is a plain 202. */
const validTurnBody = fc.record(
  {
    message: fc.string({ minLength: 1, maxLength: 200 }),
    mode: fc.constantFrom('chat', 'rag'),
    stream: fc.constant(false),
    maxOutputTokens: fc.integer({ min: 1, max: 32_768 }),
    temperature: fc.double({ min: 0, max: 2, noNaN: true }),
    seed: fc.integer(),
  },
  { requiredKeys: ['message'] },
);

const validConversationBody = fc.record(
  {
    title: fc.string({ minLength: 1, maxLength: 50 }).filter((title) => title.trim().length > 0),
    promptName: fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,20}$/),
    userId: fc.string({ minLength: 1, maxLength: 50 }),
    metadata: fc.dictionary(fc.string({ minLength: 1, maxLength: 20 }), fc.string({ maxLength: 50 }), { maxKeys: 3 }),
  },
  { requiredKeys: [] },
);

/** One field of a valid body given a wrong type, or out of its range, or a huge string. */
function brokenBody<Fields extends Record<string, 'string' | 'boolean' | 'number' | 'object'>>(valid: fc.Arbitrary<Record<string, unknown>>, fields: Fields) {
  return fc.oneof(
    fc.tuple(valid, fc.constantFrom(...Object.keys(fields))).chain(([body, field]) =>
      wrongTypeFor(fields[field]!).map((value) => ({ ...body, [field]: value })),
    ),
    fc.tuple(valid, extraFieldName, anyJson).map(([body, name, value]) => ({ ...body, [name]: value })),
    fc.tuple(valid, fc.constantFrom(...Object.keys(fields).filter((field) => fields[field] === 'string')), hugeString).map(([body, field, value]) => ({
      ...body,
      [field]: value,
    })),
  );
}

const turnBody = fc.oneof(
  { weight: 3, arbitrary: anyJson },
  { weight: 5, arbitrary: brokenBody(validTurnBody, TURN_FIELDS) },
  {
    weight: 2,
    arbitrary: fc.oneof(
      validTurnBody.map((body) => ({ ...body, message: '' })),
      validTurnBody.map((body) => ({ ...body, mode: 'agent' })),
      fc.tuple(validTurnBody, fc.oneof(fc.double({ max: -0.001, noNaN: true }), fc.double({ min: 2.001, noNaN: true, noDefaultInfinity: true }))).map(
        ([body, temperature]) => ({ ...body, temperature }),
      ),
      fc.tuple(validTurnBody, fc.oneof(fc.integer({ max: 0 }), fc.integer({ min: 32_769 }), fc.double({ min: 1.1, max: 2.9, noNaN: true }))).map(
        ([body, maxOutputTokens]) => ({ ...body, maxOutputTokens }),
      ),
      validTurnBody.map(({ message: _message, ...rest }) => rest),
    ),
  },
  { weight: 1, arbitrary: validTurnBody },
);

const conversationBody = fc.oneof(
  { weight: 3, arbitrary: anyJson },
  { weight: 5, arbitrary: brokenBody(validConversationBody, CONVERSATION_FIELDS) },
  {
    weight: 2,
    arbitrary: fc.oneof(
      validConversationBody.map((body) => ({ ...body, title: '   ' })),
      validConversationBody.map((body) => ({ ...body, promptName: 'Not A Name!' })),
      validConversationBody.map((body) => ({ ...body, metadata: { '': 'empty key' } })),
      validConversationBody.map((body) => ({ ...body, metadata: { key: 'x'.repeat(1_001) } })),
    ),
  },
  { weight: 1, arbitrary: validConversationBody },
);

/** The chat completion body's fields a client most often gets wrong, and the type each must have. */
const CHAT_FIELDS = {
  model: 'string',
  messages: 'object',
  stream: 'boolean',
  temperature: 'number',
  top_p: 'number',
  max_tokens: 'number',
  seed: 'number',
  user: 'string',
} as const;

const chatMessage = fc.oneof(
  fc.record({ role: fc.constantFrom('system', 'developer', 'user'), content: fc.string({ minLength: 1, maxLength: 100 }) }),
  fc.record({ role: fc.constant('assistant'), content: fc.string({ maxLength: 100 }) }),
);

/** Valid non-streaming completions of the configured alias, ending with the user's message. */
const validChatBody = fc.record(
  {
    model: fc.constant('chat/default'),
    messages: fc.tuple(fc.array(chatMessage, { maxLength: 3 }), fc.string({ minLength: 1, maxLength: 200 })).map(([earlier, last]) => [...earlier, { role: 'user', content: last }]),
    stream: fc.constant(false),
    temperature: fc.double({ min: 0, max: 2, noNaN: true }),
    top_p: fc.double({ min: 0.01, max: 1, noNaN: true }),
    max_tokens: fc.integer({ min: 1, max: 4_096 }),
    seed: fc.integer(),
    user: fc.string({ maxLength: 50 }),
  },
  { requiredKeys: ['model', 'messages'] },
);

const chatBody = fc.oneof(
  { weight: 3, arbitrary: anyJson },
  { weight: 5, arbitrary: brokenBody(validChatBody, CHAT_FIELDS) },
  {
    weight: 2,
    arbitrary: fc.oneof(
      validChatBody.map((body) => ({ ...body, model: 'no-such-model' })),
      validChatBody.map((body) => ({ ...body, messages: [] })),
      validChatBody.map((body) => ({ ...body, messages: [{ role: 'narrator', content: 'x' }] })),
      validChatBody.map((body) => ({ ...body, messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] }] })),
      validChatBody.map((body) => ({ ...body, n: 2 })),
      validChatBody.map((body) => ({ ...body, logprobs: true })),
      validChatBody.map((body) => ({ ...body, functions: [{ name: 'f' }] })),
      validChatBody.map((body) => ({ ...body, tools: [{ type: 'function', function: { name: 'has space' } }] })),
      validChatBody.map((body) => ({ ...body, response_format: { type: 'yaml' } })),
      fc.tuple(validChatBody, fc.oneof(fc.double({ max: -0.001, noNaN: true }), fc.double({ min: 2.001, noNaN: true, noDefaultInfinity: true }))).map(
        ([body, temperature]) => ({ ...body, temperature }),
      ),
      fc.tuple(validChatBody, fc.oneof(fc.integer({ max: 0 }), fc.double({ min: 1.1, max: 2.9, noNaN: true }))).map(([body, max_tokens]) => ({ ...body, max_tokens })),
      validChatBody.map(({ messages: _messages, ...rest }) => rest),
    ),
  },
  { weight: 1, arbitrary: validChatBody },
);

const EMBEDDING_FIELDS = { model: 'string', input: 'string', encoding_format: 'string', dimensions: 'number', user: 'string' } as const;

const validEmbeddingsBody = fc.record(
  {
    model: fc.constant('embed/default'),
    input: fc.oneof(fc.string({ maxLength: 200 }), fc.array(fc.string({ maxLength: 100 }), { minLength: 1, maxLength: 4 })),
    encoding_format: fc.constantFrom('float', 'base64'),
    dimensions: fc.constant(256),
    user: fc.string({ maxLength: 50 }),
  },
  { requiredKeys: ['model', 'input'] },
);

const embeddingsBody = fc.oneof(
  { weight: 3, arbitrary: anyJson },
  { weight: 5, arbitrary: brokenBody(validEmbeddingsBody, EMBEDDING_FIELDS) },
  {
    weight: 2,
    arbitrary: fc.oneof(
      validEmbeddingsBody.map((body) => ({ ...body, model: 'embed/unknown' })),
      validEmbeddingsBody.map((body) => ({ ...body, input: [] })),
      validEmbeddingsBody.map((body) => ({ ...body, input: [[1, 2, 3]] })),
      validEmbeddingsBody.map((body) => ({ ...body, dimensions: 255 })),
      validEmbeddingsBody.map((body) => ({ ...body, encoding_format: 'int8' })),
      validEmbeddingsBody.map(({ input: _input, ...rest }) => rest),
    ),
  },
  { weight: 1, arbitrary: validEmbeddingsBody },
);

/** Path ids that are not UUIDs. `.` and `..` are left out: URLs resolve them before any server sees them. */
const notAUuid = fc
  .oneof(fc.string({ minLength: 1, maxLength: 40 }), fc.uuid().map((uuid) => uuid.slice(0, -1)), fc.uuid().map((uuid) => `${uuid}0`), fc.constant('00000000000000000000000000000000'))
  .filter((id) => id !== '.' && id !== '..');

/** No header, a fresh usable key, or one the schema refuses. */
const idempotencyKey = fc.oneof(
  { weight: 4, arbitrary: fc.constant(undefined) },
  { weight: 2, arbitrary: fc.constant('fresh') },
  { weight: 1, arbitrary: fc.oneof(fc.constant('has space'), fc.constant('k'.repeat(256)), fc.constant('tab\there')) },
);

interface Case {
  path: string;
  body: unknown;
  idempotencyKey: string | undefined;
  headers?: Record<string, string>;
}

/** What a header may carry on the wire: printable ASCII, any of it wrong for the field. */
const headerValue = fc.stringMatching(/^[\x21-\x7e][\x20-\x7e]{0,40}$/);

/** The chat completion's own headers: absent, or a conversation that is not there, a malformed one, or any task or feature tag. */
const chatHeaders = fc.oneof(
  { weight: 4, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.oneof(fc.uuid(), headerValue).map((id) => ({ 'x-tessera-conversation-id': id })) },
  { weight: 1, arbitrary: headerValue.map((task) => ({ 'x-tessera-task': task })) },
  { weight: 1, arbitrary: headerValue.map((feature) => ({ 'x-tessera-feature': feature })) },
);

function expectSuccessOrProblem(response: ApiResponse, success: number, label: string): void {
  if (response.status === success) return;
  expect(response.status, `${label} → ${JSON.stringify(response.body).slice(0, 500)}`).toBeGreaterThanOrEqual(400);
  expect(response.status, `${label} → ${JSON.stringify(response.body).slice(0, 500)}`).toBeLessThan(500);
  expect(response.headers.get('content-type'), label).toMatch(/^application\/problem\+json/);
  const problem = response.body as Problem;
  expect(problem.status, label).toBe(response.status);
  expect(problem.code, label).toMatch(/^TESSERA_[A-Z_]+$/);
  expect(problem.errors[0]?.field, `${label} → ${JSON.stringify(problem).slice(0, 500)}`).toMatch(/^(body|params|headers)(\.|$)/);
}

/**
 * Whatever arrives at the two creating routes, the answer is a success for valid input
 * or a 4xx problem+json naming a field, never a 5xx; and a refused request leaves the
 * log exactly as it was.
 */
describe('bad input to the creating routes (embedded profile, fast-check)', () => {
  let tessera: RunningTessera;
  let api: ApiClient;
  let conversationId: string;

  beforeAll(async () => {
    tessera = await startTessera('embedded', { TESSERA_HTTP_BODY_LIMIT_BYTES: String(BODY_LIMIT_BYTES) });
    api = apiClient(tessera);
    conversationId = await api.startConversation({ title: 'fuzzed' });
  });

  afterAll(async () => {
    await tessera?.close();
  });

  const send = async ({ path, body, idempotencyKey: key, headers: extra }: Case) => {
    const headers = { ...extra, ...(key === undefined ? {} : { 'idempotency-key': key === 'fresh' ? `fuzz-${randomUUID()}` : key }) };
    const before = await countEvents(tessera);
    const response = await api.request('POST', path, { rawBody: JSON.stringify(body), headers });
    return { response, before, label: `POST ${path} ${JSON.stringify(body)?.slice(0, 200)} headers=${JSON.stringify(headers)}` };
  };

  /**
   * The property every creating route keeps: a success, checked by `onSuccess`, or a 4xx
   * problem naming a field that leaves the log as it was; and both outcomes exercised.
   */
  const holdsForEveryBody = async <Input extends Case>(
    cases: fc.Arbitrary<Input>,
    success: number,
    onSuccess: (response: ApiResponse, before: number, label: string) => Promise<void>,
    examples: Input[] = [],
  ) => {
    let succeeded = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(cases, async (input) => {
        const { response, before, label } = await send(input);
        expectSuccessOrProblem(response, success, label);
        if (response.status === success) {
          succeeded += 1;
          await onSuccess(response, before, label);
          return;
        }
        refused += 1;
        expect(await countEvents(tessera), `${label}: events appended by a refused request`).toBe(before);
      }),
      { numRuns: RUNS, endOnFailure: true, examples: examples.map((example) => [example]) },
    );
    // The property means something only if both outcomes were exercised.
    expect(succeeded).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(RUNS / 2);
  };

  it('POST /v1/conversations/:id/turns: 202 or a 4xx problem naming a field; refusals append nothing', async () => {
    const turnCase = fc.record({
      path: fc.oneof(
        { weight: 4, arbitrary: fc.constant(`/v1/conversations/${conversationId}/turns`) },
        { weight: 1, arbitrary: notAUuid.map((id) => `/v1/conversations/${encodeURIComponent(id)}/turns`) },
      ),
      body: turnBody,
      idempotencyKey,
    });
    await holdsForEveryBody(
      turnCase,
      202,
      // Let the turn finish so its pipeline events do not blur the next count.
      async (response) => void (await api.waitForTurn((response.body as { id: string }).id)),
      // A message of blanks once passed the schema and was refused by the domain, naming no request field.
      [{ path: `/v1/conversations/${conversationId}/turns`, body: { message: ' \t ' }, idempotencyKey: undefined }],
    );
  });

  it('POST /v1/conversations: 201 or a 4xx problem naming a field; refusals append nothing', async () => {
    const conversationCase = fc.record({ path: fc.constant('/v1/conversations'), body: conversationBody, idempotencyKey });
    await holdsForEveryBody(conversationCase, 201, async (_response, before, label) => {
      expect(await countEvents(tessera), `${label}: one ConversationStarted`).toBe(before + 1);
    });
  });

  it('POST /v1/chat/completions: 200 or a 4xx problem naming a field; refusals append nothing', async () => {
    const chatCase = fc.record({ path: fc.constant('/v1/chat/completions'), body: chatBody, idempotencyKey, headers: chatHeaders });
    await holdsForEveryBody(
      chatCase,
      200,
      async (_response, before, label) => {
        expect(await countEvents(tessera), `${label}: the completion is recorded as a turn`).toBeGreaterThan(before);
      },
      // An empty `user`, which OpenAI accepts, once failed the turn's envelope.
      [{ path: '/v1/chat/completions', body: { model: 'chat/default', messages: [{ role: 'user', content: 'hi' }], user: '' }, idempotencyKey: undefined, headers: undefined }],
    );
  });

  it('POST /v1/embeddings: 200 with the call recorded, or a 4xx problem naming a field that appends nothing', async () => {
    const embeddingsCase = fc.record({
      path: fc.constant('/v1/embeddings'),
      body: embeddingsBody,
      idempotencyKey: fc.constant(undefined),
      headers: fc.option(headerValue.map((feature) => ({ 'x-tessera-feature': feature })), { nil: undefined }),
    });
    await holdsForEveryBody(embeddingsCase, 200, async (_response, before, label) => {
      expect(await countEvents(tessera), `${label}: EmbeddingCallStarted and EmbeddingCallCompleted`).toBe(before + 2);
    });
  });
});
