import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { FeedbackRecorded } from '../turn/events/feedback-recorded.js';
import { EventRegistry, InvalidEventDataError, UnknownEventTypeError, UnsupportedSchemaVersionError } from './event-registry.js';
import { defineEventType } from './event-type.js';

const registry = new EventRegistry([FeedbackRecorded]);

describe('EventRegistry', () => {
  describe('when writing', () => {
    it('stamps the current schema version on valid data', () => {
      const data = { turnId: 't1', score: 0.5, source: 'reviewer' };
      expect(registry.encode('FeedbackRecorded', data)).toEqual({ data, schemaVersion: 2 });
    });

    it('refuses data that fails the schema, naming the field', () => {
      expect(() => registry.encode('FeedbackRecorded', { turnId: 't1', score: 3, source: 'user' })).toThrow(
        expect.objectContaining({ field: 'data.score', code: 'TESSERA_INVALID_EVENT_DATA' }) as Error,
      );
      expect(() => registry.encode('FeedbackRecorded', { turnId: 't1', score: 1 })).toThrow(InvalidEventDataError);
    });

    it('refuses types it does not know', () => {
      expect(() => registry.encode('FeedbackRecordd', {})).toThrow(UnknownEventTypeError);
    });
  });

  describe('when reading', () => {
    it('upcasts a stored v1 FeedbackRecorded to v2', () => {
      expect(registry.decode('FeedbackRecorded', 1, { turnId: 't1', rating: 'down', comment: 'wrong source' })).toEqual({
        turnId: 't1',
        score: -1,
        comment: 'wrong source',
        source: 'user',
      });
      expect(registry.decode('FeedbackRecorded', 1, { turnId: 't1', rating: 'up' })).toMatchObject({ score: 1 });
    });

    it('reads current data unchanged', () => {
      const data = { turnId: 't1', score: 0, correction: 'Paris', source: 'grader' };
      expect(registry.decode('FeedbackRecorded', 2, data)).toEqual(data);
    });

    it('refuses a version newer than this build', () => {
      expect(() => registry.decode('FeedbackRecorded', 3, {})).toThrow(UnsupportedSchemaVersionError);
    });

    it('refuses stored data that no longer validates after upcasting', () => {
      expect(() => registry.decode('FeedbackRecorded', 1, { turnId: 't1', rating: 'meh' })).toThrow();
    });
  });

  it('refuses a definition that skips an upcaster', () => {
    expect(() => defineEventType({ type: 'Gapped', version: 3, schema: z.object({}), upcasters: { 1: (data) => data } })).toThrow(
      /no upcaster from v2/,
    );
  });

  it('refuses registering one type twice', () => {
    expect(() => new EventRegistry([FeedbackRecorded, FeedbackRecorded])).toThrow(/twice/);
  });
});
