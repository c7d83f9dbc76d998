import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';
import type { ResponseCache } from './response-cache.js';

/** Bumped whenever what the key covers changes, so entries written under the old rules are never read. */
const EMBEDDING_CACHE_KEY_VERSION = 2;
const BYTES_PER_VALUE = 8;

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
  /** The model behind the alias, and where it is served: another one must not be answered with this one's vectors. */
  provider: string;
  modelId: string;
  source: string;
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
  const bytes = Buffer.allocUnsafe(vector.length * BYTES_PER_VALUE);
  vector.forEach((value, index) => bytes.writeDoubleLE(value, index * BYTES_PER_VALUE));
  return bytes.toString('base64');
}

/** The vector an entry holds, or undefined for one that is not a vector of `dimensions` values (garbled, or written by something else). */
export function decodeVector(encoded: unknown, dimensions: number): number[] | undefined {
  if (typeof encoded !== 'string') return undefined;
  const bytes = Buffer.from(encoded, 'base64');
  if (bytes.length !== dimensions * BYTES_PER_VALUE) return undefined;
  return Array.from({ length: dimensions }, (_, index) => bytes.readDoubleLE(index * BYTES_PER_VALUE));
}
