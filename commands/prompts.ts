import { z } from 'zod';
import { promptDecider } from '../domain/prompt/prompt-decider.js';
import { promptVersionPublishedSchema } from '../domain/prompt/prompt-version-published.js';
import { newId } from '../domain/shared/ids.js';
import { streamId } from '../domain/shared/stream-id.js';
import { SYSTEM_TENANT_ID } from '../domain/tenant/system-tenant.js';
import type { EventStore } from '../infra/event-store/port.js';
import { handleCommand, loadState } from './handle-command.js';

/** A prompt as an operator writes it; the version is the next one. */
export const promptDraftSchema = promptVersionPublishedSchema
  .omit({ version: true, publishedAt: true, historyTokenBudget: true })
  .extend({ historyTokenBudget: z.number().int().min(0).default(4_000) });

export type PromptDraft = z.input<typeof promptDraftSchema>;

/** Publishes the next version of a prompt (`prompt-<name>`); conversations naming it use it from their next turn. */
export async function publishPromptVersion(store: EventStore, draft: PromptDraft, actor: string): Promise<number> {
  const template = promptDraftSchema.parse(draft);
  const stream = streamId('prompt', template.name);
  const { state } = await loadState(store, stream, promptDecider);
  const version = state.status === 'published' ? state.latest.version + 1 : 1;
  const correlationId = newId();
  await handleCommand(store, stream, promptDecider, { type: 'PublishPromptVersion', data: { ...template, version, now: new Date() } }, {
    metadata: { tenantId: SYSTEM_TENANT_ID, userId: actor, correlationId, causationId: correlationId },
  });
  return version;
}
