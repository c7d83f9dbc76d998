import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { describe, expect, it } from 'vitest';
import { ModelCallError } from '../../model-call-error.js';
import { mapError } from './map-error.js';
import { retryAfterMs } from './retry-after.js';

const context = { provider: 'test', modelId: 'm' };

function apiError(status: number, error: Record<string, unknown>, headers: Record<string, string> = {}): APIError {
  return APIError.generate(status, { error }, undefined, new Headers(headers));
}

function kindOf(error: unknown): string {
  const mapped = mapError(error, context);
  if (!ModelCallError.isInstance(mapped)) throw new Error('not mapped to a ModelCallError');
  return mapped.kind;
}

describe('mapError', () => {
  it.each([
    [401, {}, 'authentication'],
    [403, {}, 'authentication'],
    [400, { message: 'bad tool schema' }, 'bad-request'],
    [422, { message: 'unprocessable' }, 'bad-request'],
    [404, { message: 'model not found' }, 'bad-request'],
    [408, {}, 'timeout'],
    [500, {}, 'server'],
    [503, {}, 'server'],
    [429, { code: 'rate_limit_exceeded' }, 'rate-limited'],
    [400, { code: 'context_length_exceeded', message: 'too long' }, 'context-overflow'],
    [400, { message: "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens." }, 'context-overflow'],
    [400, { type: 'exceed_context_size_error', message: 'the request exceeds the available context size' }, 'context-overflow'],
    [400, { code: 'content_filter', message: 'filtered' }, 'content-filter'],
  ])('maps status %i %j to %s', (status, body, kind) => {
    expect(kindOf(apiError(status, body))).toBe(kind);
  });

  it('keeps the status, provider and model, and the SDK error as cause', () => {
    const error = apiError(500, { message: 'boom' });
    expect(mapError(error, context)).toMatchObject({ details: { status: 500, provider: 'test', modelId: 'm', cause: error } });
  });

  it('maps the SDK connection errors', () => {
    expect(kindOf(new APIConnectionTimeoutError())).toBe('timeout');
    expect(kindOf(new APIConnectionError({ message: 'refused' }))).toBe('disconnected');
    expect(kindOf(new APIUserAbortError())).toBe('aborted');
  });

  it('maps a socket closed under a body being read to disconnected, with the partial text', () => {
    const terminated = new TypeError('terminated', { cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }) });
    expect(mapError(terminated, { ...context, partialText: 'Hel' })).toMatchObject({ kind: 'disconnected', details: { partialText: 'Hel' } });
  });

  it('returns errors that are not the upstream’s untouched', () => {
    const bug = new RangeError('a bug');
    expect(mapError(bug, context)).toBe(bug);
  });
});

describe('retryAfterMs', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  const headers = (values: Record<string, string>): Headers => new Headers(values);

  it('reads seconds, an HTTP date, or retry-after-ms, which wins', () => {
    expect(retryAfterMs(headers({ 'retry-after': '3' }), now)).toBe(3000);
    expect(retryAfterMs(headers({ 'retry-after': '1.5' }), now)).toBe(1500);
    expect(retryAfterMs(headers({ 'retry-after': 'Wed, 01 Jan 2025 00:00:10 GMT' }), now)).toBe(10_000);
    expect(retryAfterMs(headers({ 'retry-after': '3', 'retry-after-ms': '250' }), now)).toBe(250);
  });

  it('reads the obsolete date forms as GMT, as HTTP defines them, whatever the local time zone', () => {
    const zone = process.env.TZ;
    process.env.TZ = 'America/New_York';
    try {
      expect(retryAfterMs(headers({ 'retry-after': 'Wed Jan  1 00:00:10 2025' }), now)).toBe(10_000);
      expect(retryAfterMs(headers({ 'retry-after': 'Wednesday, 01-Jan-25 00:00:10 GMT' }), now)).toBe(10_000);
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });

  it('never asks for a negative wait and ignores what it cannot read', () => {
    expect(retryAfterMs(headers({ 'retry-after': 'Tue, 31 Dec 2024 23:59:00 GMT' }), now)).toBe(0);
    expect(retryAfterMs(headers({ 'retry-after': 'soon' }), now)).toBeUndefined();
    expect(retryAfterMs(headers({}), now)).toBeUndefined();
    expect(retryAfterMs(undefined, now)).toBeUndefined();
  });

  it('is carried on rate-limit errors', () => {
    const error = mapError(apiError(429, {}, { 'retry-after': '2' }), context);
    expect(error).toMatchObject({ kind: 'rate-limited', details: { retryAfterMs: 2000 } });
  });
});
