import { createHash } from 'node:crypto';
import type { LanguageModel, ModelRequest } from '../model-spec.js';
import { canonicalJson } from './canonical-json.js';

/** Bumped whenever what the key covers changes, so entries written under the old rules are never read. */
const CACHE_KEY_VERSION = 2;

/** Everything that shapes a model's answer, as the model-call step knows it. */
export interface CacheKeyInput {
  /** Answers are never shared across tenants: a hit's speed would tell one tenant what another asked. */
  tenantId: string;
  /** The model alias asked for (`chat/default`). */
  alias: string;
  /** The model behind the alias and where it is served: a replaced one must not answer with the old one's words. */
  model: Pick<LanguageModel, 'provider' | 'modelId' | 'cacheScope'>;
  request: ModelRequest;
  promptName?: string;
  promptVersion?: number;
  /**
   * Ids of the retrieved documents in prompt order. Order is keyed: it decides which
   * document is `[doc_1]`, and so the citations in the answer.
   */
  retrievedDocIds?: readonly string[];
}

/** Only deterministic requests are cached: at any other temperature a repeat should differ. */
export function isCacheable(request: Pick<ModelRequest, 'temperature' | 'seed'>): boolean {
  return request.temperature === 0 || request.seed !== undefined;
}

/**
 * The cache key: sha256 (hex) of the canonical JSON of the input. Every request field
 * is keyed except those that cannot change the answer (the abort signal, the end-user
 * id sent for abuse monitoring), so a field added to ModelRequest later is keyed
 * without anyone remembering to: a needless miss is cheap, a wrong hit is not.
 */
export function cacheKeyOf(input: CacheKeyInput): string {
  const { abortSignal: _abortSignal, user: _user, ...request } = input.request;
  const keyed = {
    version: CACHE_KEY_VERSION,
    tenantId: input.tenantId,
    alias: input.alias,
    model: { provider: input.model.provider, modelId: input.model.modelId, scope: input.model.cacheScope },
    request,
    promptName: input.promptName,
    promptVersion: input.promptVersion,
    retrievedDocIds: input.retrievedDocIds,
  };
  return createHash('sha256').update(canonicalJson(keyed)).digest('hex');
}
