import { DomainError } from '../shared/domain-error.js';

export class TenantAlreadyExistsError extends DomainError {
  constructor(readonly tenantId: string) {
    super('TESSERA_TENANT_EXISTS', `tenant ${tenantId} already exists`, 'tenantId');
  }
}

export class ReservedTenantIdError extends DomainError {
  constructor(readonly tenantId: string) {
    super('TESSERA_TENANT_ID_RESERVED', `tenant id "${tenantId}" is reserved for events that belong to no tenant`, 'tenantId');
  }
}

export class TenantNotFoundError extends DomainError {
  constructor() {
    super('TESSERA_TENANT_NOT_FOUND', 'the tenant was not found', 'tenantId');
  }
}

export class ApiKeyAlreadyIssuedError extends DomainError {
  constructor(readonly keyId: string) {
    super('TESSERA_API_KEY_EXISTS', `API key ${keyId} has already been issued`, 'keyId');
  }
}

export class UnknownApiKeyError extends DomainError {
  constructor(readonly keyId: string) {
    super('TESSERA_UNKNOWN_API_KEY', `API key ${keyId} was not issued by this tenant`, 'keyId');
  }
}

export class ApiKeyAlreadyRevokedError extends DomainError {
  constructor(readonly keyId: string) {
    super('TESSERA_API_KEY_REVOKED', `API key ${keyId} is already revoked`, 'keyId');
  }
}

export class InvalidApiKeyExpiryError extends DomainError {
  constructor() {
    super('TESSERA_INVALID_API_KEY_EXPIRY', 'an API key must expire after it is issued', 'expiresAt');
  }
}
