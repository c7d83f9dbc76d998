import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assertPublishableSubject,
  assertSubjectPatterns,
  isPublishableSubject,
  isSubjectPattern,
  matchesAnySubject,
  matchesSubject,
} from './subject-pattern.js';

const token = fc.stringMatching(/^[a-z0-9_-]{1,6}$/);
const subject = fc.array(token, { minLength: 1, maxLength: 6 }).map((tokens) => tokens.join('.'));

describe('matchesSubject', () => {
  it.each([
    ['tessera.events.turn', 'tessera.events.turn', true],
    ['tessera.events.turn', 'tessera.events.job', false],
    ['tessera.*.turn', 'tessera.events.turn', true],
    ['tessera.*', 'tessera.events.turn', false],
    ['tessera.>', 'tessera.events.turn', true],
    ['tessera.>', 'tessera', false],
    ['tessera.events.>', 'tessera.events', false],
    ['*.events.>', 'tessera.events.turn.started', true],
    ['tessera.events', 'tessera.events.turn', false],
    ['tessera.events.turn', 'tessera.events', false],
    ['>', 'a', true],
  ])('%s against %s is %s', (pattern, candidate, expected) => {
    expect(matchesSubject(pattern, candidate)).toBe(expected);
  });

  it('matches every subject with itself, with `>` and with its tokens turned into `*`', () => {
    fc.assert(
      fc.property(subject, fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }), (candidate, starred) => {
        const tokens = candidate.split('.');
        const pattern = tokens.map((part, index) => (starred[index] ? '*' : part)).join('.');
        expect(matchesSubject(candidate, candidate)).toBe(true);
        expect(matchesSubject('>', candidate)).toBe(true);
        expect(matchesSubject(pattern, candidate)).toBe(true);
      }),
    );
  });

  it('never matches a subject with a different number of tokens unless the pattern ends in `>`', () => {
    fc.assert(
      fc.property(subject, subject, (pattern, candidate) => {
        fc.pre(pattern.split('.').length !== candidate.split('.').length);
        expect(matchesSubject(pattern.replaceAll(/[^.]+/g, '*'), candidate)).toBe(false);
      }),
    );
  });

  it('matches when any pattern of a list matches', () => {
    expect(matchesAnySubject(['a.b', 'c.*'], 'c.d')).toBe(true);
    expect(matchesAnySubject(['a.b', 'c.*'], 'c.d.e')).toBe(false);
    expect(matchesAnySubject([], 'a')).toBe(false);
  });
});

describe('subject validation', () => {
  it('accepts literal subjects and refuses wildcards, spaces and empty tokens', () => {
    expect(isPublishableSubject('tessera.events.turn-1')).toBe(true);
    for (const bad of ['', 'a..b', 'a.*', 'a.>', 'a b', '.a', 'a.']) {
      expect(isPublishableSubject(bad)).toBe(false);
    }
    expect(() => assertPublishableSubject('a.*')).toThrow(/invalid bus subject "a\.\*"/);
  });

  it('accepts patterns with whole-token wildcards and refuses misplaced ones', () => {
    for (const good of ['a.b', 'a.*.c', 'a.>', '*', '>']) expect(isSubjectPattern(good)).toBe(true);
    for (const bad of ['a.>.c', 'a.b*', 'a..b', '', 'a.>x']) expect(isSubjectPattern(bad)).toBe(false);
    expect(() => assertSubjectPatterns([])).toThrow(/at least one subject/);
    expect(() => assertSubjectPatterns(['a.>.b'])).toThrow(/invalid subject pattern/);
  });
});
