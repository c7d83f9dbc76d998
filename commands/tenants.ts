import { displayPrefix, formatApiKey, hashApiKeySecret, newApiKeySecret } from './api-key-secret.js';
import { newId } from '../domain/shared/ids.js';
import { streamId } from '../domain/shared/stream-id.js';
import { tenantDecider } from '../domain/tenant/tenant-decider.js';
import type { EventStore } from '../infra/event-store/port.js';
import { handleCommand } from './handle-command.js';

const systemMetadata = (tenantId: string, actor: string) => {
  const correlationId = newId();
  return { tenantId, userId: actor, correlationId, causationId: correlationId };
};

/** Tenant ids are chosen by operators (slugs) or minted when none is given. */
export async function createTenant(store: EventStore, input: { tenantId?: string; name: string; actor: string }): Promise<string> {
  const tenantId = input.tenantId ?? newId().replaceAll('-', '');
  await handleCommand(
    store,
    streamId('tenant', tenantId),
    tenantDecider,
    { type: 'CreateTenant', data: { tenantId, name: input.name, now: new Date() } },
    { metadata: systemMetadata(tenantId, input.actor) },
  );
  return tenantId;
}

export interface IssuedApiKey {
  keyId: string;
  /** The full key: shown once, never stored. */
  key: string;
}

export async function issueApiKey(
  store: EventStore,
  input: { tenantId: string; name: string; scopes?: string[]; expiresAt?: Date; actor: string },
): Promise<IssuedApiKey> {
  const keyId = newId().replaceAll('-', '');
  const secret = newApiKeySecret();
  await handleCommand(
    store,
    streamId('tenant', input.tenantId),
    tenantDecider,
    {
      type: 'IssueApiKey',
      data: {
        keyId,
        name: input.name,
        hash: hashApiKeySecret(secret),
        prefix: displayPrefix(keyId),
        scopes: input.scopes ?? ['*'],
        expiresAt: input.expiresAt,
        now: new Date(),
      },
    },
    { metadata: systemMetadata(input.tenantId, input.actor) },
  );
  return { keyId, key: formatApiKey(keyId, secret) };
}

export async function revokeApiKey(
  store: EventStore,
  input: { tenantId: string; keyId: string; reason?: string; actor: string },
): Promise<void> {
  await handleCommand(
    store,
    streamId('tenant', input.tenantId),
    tenantDecider,
    { type: 'RevokeApiKey', data: { keyId: input.keyId, reason: input.reason, now: new Date() } },
    { metadata: systemMetadata(input.tenantId, input.actor) },
  );
}
