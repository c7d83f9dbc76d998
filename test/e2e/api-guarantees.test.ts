import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueApiKey, revokeApiKey } from '../../commands/tenants.js';
import { startTessera, type RunningTessera } from '../support/tessera-harness.js';
import { apiClient, countEvents, expectProblem, poll, readLog, type ApiClient, type ApiResponse, type Problem } from './tessera-api.js';

/** Small, so an oversized body is cheap to send. */
const BODY_LIMIT_BYTES = 8_192;

interface OpenApiOperation {
  parameters?: { in: string; name: string; required?: boolean }[];
  requestBody?: { content: Record<string, { schema: { type?: string; properties?: Record<string, unknown>; required?: string[]; additionalProperties?: unknown } }> };
  responses: Record<string, unknown>;
}

interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { securitySchemes: Record<string, { type: string; scheme?: string }> };
}

/**
 * The guarantees every client relies on, over real HTTP: keys, tenant isolation,
 * idempotency, bounded and well-formed input, and problem+json for every refusal.
 */
describe.each(['embedded', 'services'] as const)('API guarantees (%s profile)', (profile) => {
  let tessera: RunningTessera;
  let api: ApiClient;
  let other: ApiClient;
  /** A conversation and a finished turn of the first tenant. */
  let conversationId: string;
  let turnId: string;

  beforeAll(async () => {
    tessera = await startTessera(profile, { TESSERA_HTTP_BODY_LIMIT_BYTES: String(BODY_LIMIT_BYTES) });
    api = apiClient(tessera);
    other = apiClient(tessera, tessera.otherTenant.key);
    conversationId = await api.startConversation({ title: 'tenant A' });
    turnId = await api.sendTurn(conversationId, 'What is mine?');
    await api.waitForTurn(turnId);
  });

  afterAll(async () => {
    await tessera?.close();
  });

  describe('API keys', () => {
    const unauthorized = (response: ApiResponse) => {
      expectProblem(response, 401, 'TESSERA_UNAUTHORIZED', 'headers.authorization');
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
    };

    it('refuses a request without a key with 401 TESSERA_UNAUTHORIZED', async () => {
      unauthorized(await api.request('GET', `/v1/conversations/${conversationId}`, { key: null }));
      unauthorized(await api.request('POST', '/v1/conversations', { key: null, body: {} }));
    });

    it.each([
      ['a word that is no key', 'Bearer nonsense'],
      ['another scheme', `Basic ${Buffer.from('user:password').toString('base64')}`],
      ['a bearer without a token', 'Bearer '],
      ['a key of the right shape that was never issued', `Bearer tsk_${'0'.repeat(32)}_${'a'.repeat(43)}`],
    ])('refuses %s with 401 TESSERA_UNAUTHORIZED', async (_name, authorization) => {
      unauthorized(await api.request('GET', `/v1/conversations/${conversationId}`, { headers: { authorization } }));
    });

    it('refuses an issued key whose secret was altered', async () => {
      const key = tessera.tenant.key;
      const altered = `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`;

      unauthorized(await api.request('GET', `/v1/conversations/${conversationId}`, { key: altered }));
    });

    it('stops accepting a key within seconds of its revocation', async () => {
      const issued = await issueApiKey(tessera.backend.store, { tenantId: tessera.tenant.id, name: 'short-lived', actor: 'test' });
      const path = `/v1/conversations/${conversationId}`;
      await poll(() => api.request('GET', path, { key: issued.key }), (response) => response.status === 200, 10_000, 'the new key to work');

      await revokeApiKey(tessera.backend.store, { tenantId: tessera.tenant.id, keyId: issued.keyId, reason: 'test', actor: 'test' });

      const refused = await poll(() => api.request('GET', path, { key: issued.key }), (response) => response.status !== 200, 10_000, 'the key to be refused');
      unauthorized(refused);
      unauthorized(await api.request('POST', '/v1/conversations', { key: issued.key, body: {} }));
    });
  });

  describe("another tenant's resources", () => {
    /** What another tenant sees must be what anyone sees for an id that does not exist. */
    const expectSameAsMissing = (theirs: ApiResponse, missing: ApiResponse, field: string) => {
      expectProblem(theirs, 404, 'TESSERA_NOT_FOUND', field);
      expectProblem(missing, 404, 'TESSERA_NOT_FOUND', field);
      expect((theirs.body as Problem).errors.map((entry) => entry.field)).toEqual((missing.body as Problem).errors.map((entry) => entry.field));
    };

    it('answers GET conversation with 404, as for a conversation that does not exist', async () => {
      expectSameAsMissing(
        await other.request('GET', `/v1/conversations/${conversationId}`),
        await other.request('GET', `/v1/conversations/${randomUUID()}`),
        'params.id',
      );
    });

    it('answers GET turn with 404', async () => {
      expectSameAsMissing(await other.request('GET', `/v1/turns/${turnId}`), await other.request('GET', `/v1/turns/${randomUUID()}`), 'params.id');
    });

    it('answers GET turn stream with 404 instead of streaming it', async () => {
      const theirs = await other.request('GET', `/v1/turns/${turnId}/stream`);

      expect(theirs.headers.get('content-type')).not.toMatch(/event-stream/);
      expectSameAsMissing(theirs, await other.request('GET', `/v1/turns/${randomUUID()}/stream`), 'params.id');
    });

    it('answers POST feedback with 404 and records nothing', async () => {
      const before = await countEvents(tessera);

      const theirs = await other.request('POST', `/v1/turns/${turnId}/feedback`, { body: { rating: 'down', comment: 'not mine' } });

      expectSameAsMissing(theirs, await other.request('POST', `/v1/turns/${randomUUID()}/feedback`, { body: { rating: 'down' } }), 'params.id');
      expect(await countEvents(tessera)).toBe(before);
      const turn = await api.waitForTurn(turnId);
      expect(turn.timeline.map((entry) => entry.type)).not.toContain('FeedbackRecorded');
    });

    it('answers POST turn into their conversation with 404 naming params.id and starts nothing', async () => {
      const before = await countEvents(tessera);

      const theirs = await other.request('POST', `/v1/conversations/${conversationId}/turns`, { body: { message: 'let me in' } });
      const missing = await other.request('POST', `/v1/conversations/${randomUUID()}/turns`, { body: { message: 'anyone?' } });

      expect(await countEvents(tessera)).toBe(before);
      expectSameAsMissing(theirs, missing, 'params.id');
    });
  });

  describe('Idempotency-Key', () => {
    const conversationsStartedWith = async (title: string) =>
      (await readLog(tessera)).filter((event) => event.type === 'ConversationStarted' && (event.data as { title?: string }).title === title);

    it('answers a repeated conversation request with the first response and starts one conversation', async () => {
      const title = `idempotent ${randomUUID()}`;
      const headers = { 'idempotency-key': `create-${randomUUID()}` };

      const first = await api.request<{ id: string }>('POST', '/v1/conversations', { headers, body: { title } });
      const again = await api.request<{ id: string }>('POST', '/v1/conversations', { headers, body: { title } });

      expect(first.status).toBe(201);
      expect(again.status).toBe(201);
      expect(again.body).toEqual(first.body);
      expect(again.headers.get('location')).toBe(first.headers.get('location'));
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect((await conversationsStartedWith(title)).map((event) => event.streamId)).toEqual([`conversation-${first.body.id}`]);
    });

    it('answers a repeated turn request with the same turn id and requests one turn', async () => {
      const conversation = await api.startConversation();
      const headers = { 'idempotency-key': `turn-${randomUUID()}` };
      const body = { message: 'Only once, please.' };

      const first = await api.request<{ id: string }>('POST', `/v1/conversations/${conversation}/turns`, { headers, body });
      const again = await api.request<{ id: string }>('POST', `/v1/conversations/${conversation}/turns`, { headers, body });

      expect(first.status).toBe(202);
      expect(again.status).toBe(202);
      expect(again.body).toEqual(first.body);
      expect(again.headers.get('location')).toBe(`/v1/turns/${first.body.id}`);
      await api.waitForTurn(first.body.id);
      const requested = (await readLog(tessera)).filter(
        (event) => event.type === 'TurnRequested' && (event.data as { conversationId: string }).conversationId === conversation,
      );
      expect(requested.map((event) => event.streamId)).toEqual([`turn-${first.body.id}`]);
    });

    it('refuses the same key with another body with 422 naming headers.idempotency-key, changing nothing', async () => {
      const headers = { 'idempotency-key': `reuse-${randomUUID()}` };
      const first = await api.request('POST', '/v1/conversations', { headers, body: { title: 'first body' } });
      expect(first.status).toBe(201);
      const before = await countEvents(tessera);

      const reused = await api.request('POST', '/v1/conversations', { headers, body: { title: 'second body' } });

      expectProblem(reused, 422, 'TESSERA_IDEMPOTENCY_KEY_REUSED', 'headers.idempotency-key');
      expect(await countEvents(tessera)).toBe(before);
    });

    it('refuses the same key on another route with 422', async () => {
      const headers = { 'idempotency-key': `route-${randomUUID()}` };
      expect((await api.request('POST', '/v1/conversations', { headers, body: {} })).status).toBe(201);

      const reused = await api.request('POST', `/v1/conversations/${conversationId}/turns`, { headers, body: { message: 'hi' } });

      expectProblem(reused, 422, 'TESSERA_IDEMPOTENCY_KEY_REUSED', 'headers.idempotency-key');
    });

    it('starts one conversation when the same request races itself', async () => {
      const title = `raced ${randomUUID()}`;
      const headers = { 'idempotency-key': `race-${randomUUID()}` };

      const responses = await Promise.all(Array.from({ length: 8 }, () => api.request<{ id: string }>('POST', '/v1/conversations', { headers, body: { title } })));

      const created = responses.filter((response) => response.status === 201);
      expect(created.length).toBeGreaterThan(0);
      expect(new Set(created.map((response) => response.body.id)).size).toBe(1);
      for (const response of responses.filter((candidate) => candidate.status !== 201)) {
        expectProblem(response, 409, 'TESSERA_IDEMPOTENT_REQUEST_IN_PROGRESS', 'headers.idempotency-key');
      }
      expect(await conversationsStartedWith(title)).toHaveLength(1);
    });

    it("keeps tenants' keys apart: the same key in another tenant starts its own conversation", async () => {
      const headers = { 'idempotency-key': `shared-${randomUUID()}` };

      const mine = await api.request<{ id: string }>('POST', '/v1/conversations', { headers, body: {} });
      const theirs = await other.request<{ id: string }>('POST', '/v1/conversations', { headers, body: {} });

      expect(mine.status).toBe(201);
      expect(theirs.status).toBe(201);
      expect(theirs.body.id).not.toBe(mine.body.id);
    });
  });

  describe('malformed requests', () => {
    it('refuses a body over TESSERA_HTTP_BODY_LIMIT_BYTES with 413 and appends nothing', async () => {
      const before = await countEvents(tessera);

      const response = await api.request('POST', `/v1/conversations/${conversationId}/turns`, { body: { message: 'x'.repeat(BODY_LIMIT_BYTES) } });

      expectProblem(response, 413, 'TESSERA_PAYLOAD_TOO_LARGE', 'body');
      expect(await countEvents(tessera)).toBe(before);
    });

    it('answers headers larger than the server takes with a 431 problem naming headers', async () => {
      const response = await fetch(`${tessera.url}/v1/conversations`, { headers: { authorization: `Bearer ${tessera.tenant.key}`, 'x-padding': 'x'.repeat(20_000) } });

      expect(response.status).toBe(431);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(await response.json()).toMatchObject({ status: 431, code: 'TESSERA_HEADERS_TOO_LARGE', errors: [{ field: 'headers' }] });
    });

    it('names a member the request does not know by its own name', async () => {
      const response = await api.request('POST', `/v1/conversations/${conversationId}/turns`, { body: { message: 'hi', extra: 1 } });

      expectProblem(response, 400, 'TESSERA_INVALID_REQUEST', 'body.extra');
    });

    it('refuses a turn naming a model that is not configured with 404 naming body.model, and appends nothing', async () => {
      const before = await countEvents(tessera);

      const response = await api.request('POST', `/v1/conversations/${conversationId}/turns`, { body: { message: 'hi', model: 'nope/none' } });

      expectProblem(response, 404, 'TESSERA_MODEL_NOT_FOUND', 'body.model');
      expect(await countEvents(tessera)).toBe(before);
    });

    it.each([
      ['a truncated object', '{"message": '],
      ['a trailing comma', '{"message": "hi",}'],
      ['single quotes', "{'message': 'hi'}"],
      ['a bare word', 'hello'],
    ])('refuses %s as 400 TESSERA_MALFORMED_JSON naming body', async (_name, rawBody) => {
      const response = await api.request('POST', `/v1/conversations/${conversationId}/turns`, { rawBody });

      expectProblem(response, 400, 'TESSERA_MALFORMED_JSON', 'body');
    });

    it.each(['application/xml', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x'])(
      'refuses content type %s with 415 naming headers.content-type',
      async (contentType) => {
        const before = await countEvents(tessera);

        const response = await api.request('POST', `/v1/conversations/${conversationId}/turns`, {
          rawBody: 'message=hi',
          headers: { 'content-type': contentType },
        });

        expectProblem(response, 415, 'TESSERA_UNSUPPORTED_MEDIA_TYPE', 'headers.content-type');
        expect(await countEvents(tessera)).toBe(before);
      },
    );

    it.each([
      ['GET', '/v1/nothing-here'],
      ['DELETE', '/v1/conversations'],
      ['POST', '/v1/turns'],
    ])('answers %s %s, a route that does not exist, with a 404 problem', async (method, path) => {
      const response = await api.request(method, path);

      expectProblem(response, 404, 'TESSERA_NOT_FOUND');
    });

    it('names the offending field in every refusal, an unknown route included', async () => {
      const refusals = await Promise.all([
        api.request('GET', '/v1/nothing-here'),
        api.request('GET', `/v1/conversations/not-a-uuid`),
        api.request('POST', '/v1/conversations', { body: { title: 42 } }),
        api.request('POST', '/v1/conversations', { rawBody: '{' }),
        api.request('GET', `/v1/turns/${randomUUID()}`),
        api.request('GET', `/v1/conversations/${conversationId}`, { key: null }),
      ]);

      for (const response of refusals) {
        const problem = expectProblem(response, response.status);
        expect(response.status).toBeGreaterThanOrEqual(400);
        expect(problem.errors.length, `${problem.detail}: errors`).toBeGreaterThan(0);
        expect(problem.errors[0]?.field).toMatch(/^\S+$/);
      }
    });
  });

  describe('GET /openapi.json', () => {
    let document: OpenApiDocument;

    beforeAll(async () => {
      const response = await fetch(`${tessera.url}/openapi.json`);
      expect(response.status).toBe(200);
      document = (await response.json()) as OpenApiDocument;
    });

    const operation = (path: string, method: string): OpenApiOperation => {
      const found = document.paths[path]?.[method];
      if (!found) throw new Error(`${method.toUpperCase()} ${path} is not in the OpenAPI document: ${Object.keys(document.paths).join(', ')}`);
      return found;
    };
    const bodySchema = (path: string, method: string) => operation(path, method).requestBody?.content['application/json']?.schema;
    const parameters = (path: string, method: string) =>
      (operation(path, method).parameters ?? []).map((parameter) => `${parameter.in}:${parameter.name}${parameter.required ? '!' : ''}`);

    it('is an OpenAPI 3.1 document with bearer API keys', () => {
      expect(document.openapi).toBe('3.1.0');
      expect(Object.values(document.components.securitySchemes)).toContainEqual(expect.objectContaining({ type: 'http', scheme: 'bearer' }));
    });

    it('lists every conversation and turn route with its parameters', () => {
      expect(parameters('/v1/conversations', 'post')).toEqual(['header:idempotency-key']);
      expect(parameters('/v1/conversations/{id}', 'get')).toEqual(['path:id!']);
      expect(parameters('/v1/conversations/{id}/turns', 'post')).toEqual(['path:id!', 'header:idempotency-key']);
      expect(parameters('/v1/turns/{id}', 'get')).toEqual(['path:id!']);
      expect(parameters('/v1/turns/{id}/stream', 'get')).toEqual(['path:id!', 'header:last-event-id']);
      expect(parameters('/v1/turns/{id}/feedback', 'post')).toEqual(['path:id!']);
    });

    it('describes the request body of every POST route', () => {
      expect(bodySchema('/v1/conversations', 'post')).toMatchObject({
        type: 'object',
        additionalProperties: false,
        properties: { title: { type: 'string' }, promptName: { type: 'string' }, userId: { type: 'string' }, metadata: { type: 'object' } },
      });
      const turn = bodySchema('/v1/conversations/{id}/turns', 'post');
      expect(turn).toMatchObject({ type: 'object', additionalProperties: false, required: expect.arrayContaining(['message']) as unknown });
      expect(Object.keys(turn?.properties ?? {}).sort()).toEqual(
        ['feature', 'maxOutputTokens', 'message', 'mode', 'model', 'seed', 'stream', 'task', 'temperature', 'userId'].sort(),
      );
      expect(turn?.properties?.mode).toMatchObject({ enum: ['chat', 'rag'] });
      const feedback = bodySchema('/v1/turns/{id}/feedback', 'post');
      expect(Object.keys(feedback?.properties ?? {}).sort()).toEqual(['comment', 'correction', 'rating', 'score']);
    });

    it('documents the problem responses of the routes', () => {
      for (const [path, method] of [
        ['/v1/conversations', 'post'],
        ['/v1/conversations/{id}/turns', 'post'],
        ['/v1/turns/{id}', 'get'],
      ] as const) {
        expect(Object.keys(operation(path, method).responses)).toEqual(expect.arrayContaining(['400', '401', '404']));
      }
    });
  });
});
