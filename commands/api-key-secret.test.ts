import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatApiKey, hashApiKeySecret, newApiKeySecret, parseApiKey, secretMatches } from './api-key-secret.js';

const keyId = '0193b0a47d3e7c55b9a12f1f0c3d4e5f';

describe('API key secrets', () => {
  it('round-trips a formatted key', () => {
    const secret = newApiKeySecret();
    expect(parseApiKey(formatApiKey(keyId, secret))).toEqual({ keyId, secret });
  });

  it('matches only the secret that was hashed', () => {
    const secret = newApiKeySecret();
    const hash = hashApiKeySecret(secret);
    expect(secretMatches(secret, hash)).toBe(true);
    expect(secretMatches(newApiKeySecret(), hash)).toBe(false);
  });

  it('refuses anything that is not a key', () => {
    fc.assert(
      fc.property(fc.string(), (value) => {
        fc.pre(!value.startsWith('tsk_'));
        expect(parseApiKey(value)).toBeUndefined();
      }),
    );
    expect(parseApiKey(`tsk_${keyId}_short`)).toBeUndefined();
    expect(parseApiKey(`tsk_${keyId.toUpperCase()}_${newApiKeySecret()}`)).toBeUndefined();
  });
});
