import {
  ApiKeyAlreadyIssuedError,
  ApiKeyAlreadyRevokedError,
  InvalidApiKeyExpiryError,
  ReservedTenantIdError,
  TenantAlreadyExistsError,
  TenantNotFoundError,
  UnknownApiKeyError,
} from './tenant-errors.js';
import type { ApiKeyIssuedData, TenantCreatedData, TenantEvent } from './tenant-events.js';
import { SYSTEM_TENANT_ID } from './system-tenant.js';

export type CreateTenant = { type: 'CreateTenant'; data: { tenantId: string; name: string; now: Date } };
export type IssueApiKey = {
  type: 'IssueApiKey';
  data: Omit<ApiKeyIssuedData, 'tenantId' | 'issuedAt' | 'expiresAt'> & { expiresAt?: Date; now: Date };
};
export type RevokeApiKey = { type: 'RevokeApiKey'; data: { keyId: string; reason?: string; now: Date } };

export type TenantCommand = CreateTenant | IssueApiKey | RevokeApiKey;

export type ApiKey = ApiKeyIssuedData & { revokedAt?: string };

export type TenantState =
  | { status: 'none' }
  | (TenantCreatedData & { status: 'active'; apiKeys: Readonly<Record<string, ApiKey>> });

export function initialState(): TenantState {
  return { status: 'none' };
}

export function evolve(state: TenantState, event: TenantEvent): TenantState {
  if (state.status === 'none') {
    return event.type === 'TenantCreated' ? { ...event.data, status: 'active', apiKeys: {} } : state;
  }
  switch (event.type) {
    case 'ApiKeyIssued':
      return { ...state, apiKeys: { ...state.apiKeys, [event.data.keyId]: event.data } };
    case 'ApiKeyRevoked': {
      const key = state.apiKeys[event.data.keyId];
      if (!key) return state;
      return { ...state, apiKeys: { ...state.apiKeys, [key.keyId]: { ...key, revokedAt: event.data.revokedAt } } };
    }
    default:
      return state;
  }
}

export function decide(command: TenantCommand, state: TenantState): TenantEvent[] {
  switch (command.type) {
    case 'CreateTenant': {
      const { tenantId, name, now } = command.data;
      if (tenantId === SYSTEM_TENANT_ID) throw new ReservedTenantIdError(tenantId);
      if (state.status !== 'none') throw new TenantAlreadyExistsError(state.tenantId);
      return [{ type: 'TenantCreated', data: { tenantId, name, createdAt: now.toISOString() } }];
    }
    case 'IssueApiKey': {
      const { now, expiresAt, ...key } = command.data;
      if (state.status === 'none') throw new TenantNotFoundError();
      if (state.apiKeys[key.keyId]) throw new ApiKeyAlreadyIssuedError(key.keyId);
      if (expiresAt && expiresAt <= now) throw new InvalidApiKeyExpiryError();
      const data = { ...key, tenantId: state.tenantId, issuedAt: now.toISOString(), expiresAt: expiresAt?.toISOString() };
      return [{ type: 'ApiKeyIssued', data }];
    }
    case 'RevokeApiKey': {
      const { keyId, reason, now } = command.data;
      if (state.status === 'none') throw new TenantNotFoundError();
      const key = state.apiKeys[keyId];
      if (!key) throw new UnknownApiKeyError(keyId);
      if (key.revokedAt) throw new ApiKeyAlreadyRevokedError(keyId);
      return [{ type: 'ApiKeyRevoked', data: { keyId, reason, revokedAt: now.toISOString() } }];
    }
    default:
      return unknownCommand(command);
  }
}

/** Whether a key may authenticate a request at `now`: issued, not revoked, not expired. */
export function isApiKeyUsable(key: ApiKey, now: Date): boolean {
  if (key.revokedAt) return false;
  return key.expiresAt === undefined || Date.parse(key.expiresAt) > now.getTime();
}

export const tenantDecider = { decide, evolve, initialState };

function unknownCommand(command: never): never {
  throw new Error(`unknown tenant command ${JSON.stringify(command)}`);
}
