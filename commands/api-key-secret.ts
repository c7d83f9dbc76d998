import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API keys read `tsk_<key id>_<secret>`: the key id finds the stored hash without a
 * scan, the 256-bit secret is compared by hash in constant time and never stored.
 */
const KEY_PATTERN = /^tsk_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;

export interface ParsedApiKey {
  keyId: string;
  secret: string;
}

export function formatApiKey(keyId: string, secret: string): string {
  return `tsk_${keyId}_${secret}`;
}

export function newApiKeySecret(): string {
  return randomBytes(32).toString('base64url');
}

export function parseApiKey(value: string): ParsedApiKey | undefined {
  const match = KEY_PATTERN.exec(value);
  return match ? { keyId: match[1]!, secret: match[2]! } : undefined;
}

export function hashApiKeySecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function secretMatches(secret: string, expectedHash: string): boolean {
  const actual = Buffer.from(hashApiKeySecret(secret), 'hex');
  const expected = Buffer.from(expectedHash, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** What a human sees in listings: enough to tell keys apart, useless to an attacker. */
export function displayPrefix(keyId: string): string {
  return `tsk_${keyId.slice(0, 8)}`;
}
