import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';
import type { ResponseCache } from './response-cache.js';

/** Bumped whenever what the key covers changes, so entries written under the old rules are never read. */
const EMBEDDING_CACHE_KEY_VERSION = 1;

/** One input's vector, kept for the next call that embeds the same text with the same model. */
export interface CachedEmbedding {
  /** The embeddings call that paid for this vector; a hit records it as a source. */
  callId: string;
  /** The vector as little-endian float64, base64: exact, and half the size of its JSON. */
  vector: string;
  provider: string;
  modelId: string;
  /** ISO 8601 time the vector was cached. */
  createdAt: string;
}

export type EmbeddingCache = ResponseCache<CachedEmbedding>;

export interface EmbeddingCacheKeyInput {
  /** Never shared across tenants: a hit's speed would tell one tenant what another embedded. */
  tenantId: string;
  alias: string;
  /** The model behind the alias: a changed model must not be answered with the old one's vectors. */
  provider: string;
  modelId: string;
  dimensions: number;
  text: string;
}

/** The key of one input's vector: sha256 (hex) of the canonical JSON of everything that decides it. */
export function embeddingCacheKeyOf(input: EmbeddingCacheKeyInput): string {
  return createHash('sha256')
    .update(canonicalJson({ version: EMBEDDING_CACHE_KEY_VERSION, kind: 'embedding', ...input }))
    .digest('hex');
}

export function encodeVector(vector: readonly number[]): string {
  return Buffer.from(Float64Array.from(vector).buffer).toString('base64');
}

export function decodeVector(encoded: string): number[] {
  const bytes = Buffer.from(encoded, 'base64');
  // Copied into an aligned buffer: a pooled Buffer may start at any offset.
  return Array.from(new Float64Array(new Uint8Array(bytes).buffer));
}
