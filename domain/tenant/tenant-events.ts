import { z } from 'zod';
import { defineEventType, type EventData } from '../events/event-type.js';

const id = z.string().min(1).max(200);
// Checked, not trimmed: a schema that rewrote data on write would store what decide did not decide.
const name = z.string().max(200).regex(/\S/, 'must not be blank');

export const TenantCreated = defineEventType({
  type: 'TenantCreated',
  version: 1,
  schema: z.object({ tenantId: id, name, createdAt: z.iso.datetime() }),
});

/**
 * The secret itself never enters the log: only its SHA-256, which is what
 * authentication compares, and a short prefix that lets people tell keys apart.
 */
export const ApiKeyIssued = defineEventType({
  type: 'ApiKeyIssued',
  version: 1,
  schema: z.object({
    keyId: id,
    tenantId: id,
    name,
    hash: z.string().regex(/^[0-9a-f]{64}$/, 'must be the lower-case hex SHA-256 of the secret'),
    prefix: z.string().min(1).max(16),
    scopes: z.array(z.string().min(1).max(100)).min(1).max(100),
    issuedAt: z.iso.datetime(),
    expiresAt: z.iso.datetime().optional(),
  }),
});

export const ApiKeyRevoked = defineEventType({
  type: 'ApiKeyRevoked',
  version: 1,
  schema: z.object({ keyId: id, reason: z.string().max(1_000).optional(), revokedAt: z.iso.datetime() }),
});

export type TenantCreatedData = EventData<typeof TenantCreated>;
export type ApiKeyIssuedData = EventData<typeof ApiKeyIssued>;
export type ApiKeyRevokedData = EventData<typeof ApiKeyRevoked>;

export type TenantEvent =
  | { type: 'TenantCreated'; data: TenantCreatedData }
  | { type: 'ApiKeyIssued'; data: ApiKeyIssuedData }
  | { type: 'ApiKeyRevoked'; data: ApiKeyRevokedData };

export const tenantEventTypes = [TenantCreated, ApiKeyIssued, ApiKeyRevoked] as const;
