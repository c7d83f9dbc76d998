import { describe, expect, it } from 'vitest';
import { createEventRegistry } from '../events/all-event-types.js';
import { deciderSpecification } from '../shared/decider-specification.js';
import { isApiKeyUsable, tenantDecider, type ApiKey, type IssueApiKey } from './tenant-decider.js';
import {
  ApiKeyAlreadyIssuedError,
  ApiKeyAlreadyRevokedError,
  InvalidApiKeyExpiryError,
  ReservedTenantIdError,
  TenantAlreadyExistsError,
  TenantNotFoundError,
  UnknownApiKeyError,
} from './tenant-errors.js';
import type { TenantEvent } from './tenant-events.js';

const given = deciderSpecification(tenantDecider);
const now = new Date('2026-03-01T12:00:00.000Z');
const later = new Date('2026-06-01T12:00:00.000Z');
const hash = 'a'.repeat(64);

const created: TenantEvent = { type: 'TenantCreated', data: { tenantId: 'acme', name: 'Acme', createdAt: now.toISOString() } };
const issue = (overrides: Partial<IssueApiKey['data']> = {}): IssueApiKey => ({
  type: 'IssueApiKey',
  data: { keyId: 'key-1', name: 'ci', hash, prefix: 'tsk_ab12', scopes: ['turns:write'], now, ...overrides },
});
const issued: TenantEvent = {
  type: 'ApiKeyIssued',
  data: {
    keyId: 'key-1',
    tenantId: 'acme',
    name: 'ci',
    hash,
    prefix: 'tsk_ab12',
    scopes: ['turns:write'],
    issuedAt: now.toISOString(),
    expiresAt: later.toISOString(),
  },
};
const revoked: TenantEvent = { type: 'ApiKeyRevoked', data: { keyId: 'key-1', reason: 'leaked', revokedAt: later.toISOString() } };

function keyAfter(events: TenantEvent[]): ApiKey {
  const state = given(events).state();
  const key = state.status === 'active' ? state.apiKeys['key-1'] : undefined;
  if (!key) throw new Error('key-1 was not issued');
  return key;
}

describe('tenant', () => {
  describe('when no tenant exists', () => {
    it('creates it', () => {
      given([]).when({ type: 'CreateTenant', data: { tenantId: 'acme', name: 'Acme', now } }).then([created]);
    });

    it('refuses the id kept for events of no tenant', () => {
      given([]).when({ type: 'CreateTenant', data: { tenantId: 'system', name: 'Impostor', now } }).thenThrows(ReservedTenantIdError, { field: 'tenantId' });
    });

    it('refuses keys for it', () => {
      given([]).when(issue()).thenThrows(TenantNotFoundError, { code: 'TESSERA_TENANT_NOT_FOUND' });
    });
  });

  describe('when the tenant exists', () => {
    it('refuses to create it again', () => {
      given([created])
        .when({ type: 'CreateTenant', data: { tenantId: 'acme', name: 'Acme', now } })
        .thenThrows(TenantAlreadyExistsError, { field: 'tenantId' });
    });

    it('issues a key, recording its hash and prefix but never a secret', () => {
      given([created]).when(issue({ expiresAt: later })).then([issued]);
    });

    it('refuses a key that expires before it is issued', () => {
      given([created]).when(issue({ expiresAt: now })).thenThrows(InvalidApiKeyExpiryError, { field: 'expiresAt' });
    });

    it('refuses to revoke a key it never issued', () => {
      given([created])
        .when({ type: 'RevokeApiKey', data: { keyId: 'key-9', now } })
        .thenThrows(UnknownApiKeyError, { code: 'TESSERA_UNKNOWN_API_KEY', field: 'keyId' });
    });
  });

  describe('when a key was issued', () => {
    it('refuses another key with the same id', () => {
      given([created, issued]).when(issue()).thenThrows(ApiKeyAlreadyIssuedError);
    });

    it('revokes it', () => {
      given([created, issued]).when({ type: 'RevokeApiKey', data: { keyId: 'key-1', reason: 'leaked', now: later } }).then([revoked]);
    });

    it('lets it authenticate until it expires', () => {
      expect(isApiKeyUsable(keyAfter([created, issued]), now)).toBe(true);
      expect(isApiKeyUsable(keyAfter([created, issued]), later)).toBe(false);
    });
  });

  it('writes data the registry accepts, refusing a hash that is not SHA-256 hex', () => {
    const registry = createEventRegistry();
    for (const event of [created, issued, revoked]) expect(registry.encode(event.type, event.data).data).toEqual(event.data);
    expect(() => registry.encode('ApiKeyIssued', { ...issued.data, hash: 'secret' })).toThrow(
      expect.objectContaining({ field: 'data.hash' }) as Error,
    );
  });

  describe('when a key was revoked', () => {
    it('refuses to revoke it again', () => {
      given([created, issued, revoked])
        .when({ type: 'RevokeApiKey', data: { keyId: 'key-1', now: later } })
        .thenThrows(ApiKeyAlreadyRevokedError, { code: 'TESSERA_API_KEY_REVOKED' });
    });

    it('no longer authenticates', () => {
      expect(isApiKeyUsable(keyAfter([created, issued, revoked]), now)).toBe(false);
    });
  });
});
