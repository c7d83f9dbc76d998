import type { ExchangeTarget } from './timed-exchange.js';

/** `baseline`: another build of Tessera, run beside this one; `floor`: the bare server of cache-hit-floor-process.ts. */
export type SystemName = 'direct' | 'tessera' | 'portkey' | 'baseline' | 'floor';

export interface GatewaySystem {
  name: SystemName;
  label: string;
  target: ExchangeTarget;
  /** The model the request names; the fake upstream answers any. */
  model: string;
  /** The process that answers, whose CPU time is counted per request. */
  pid?: number;
}

/** The model Tessera's `chat/default` sends upstream by default, so all three bodies reach the fake alike. */
const UPSTREAM_MODEL = 'gpt-4o-mini';

export function directSystem(upstreamUrl: string): GatewaySystem {
  const base = new URL(upstreamUrl);
  return {
    name: 'direct',
    label: 'direct to upstream',
    target: { origin: base.origin, path: `${base.pathname}/chat/completions`, headers: { authorization: 'Bearer anything' } },
    model: UPSTREAM_MODEL,
  };
}

export function tesseraSystem(url: string, key: string, profile: string): GatewaySystem {
  return {
    name: 'tessera',
    label: `Tessera (${profile})`,
    target: { origin: url, path: '/v1/chat/completions', headers: { authorization: `Bearer ${key}` } },
    model: 'chat/default',
  };
}

export function portkeySystem(url: string, upstreamUrl: string): GatewaySystem {
  return {
    name: 'portkey',
    label: 'Portkey 1.15.2',
    target: {
      origin: url,
      path: '/v1/chat/completions',
      headers: { 'x-portkey-provider': 'openai', 'x-portkey-custom-host': upstreamUrl, authorization: 'Bearer anything' },
    },
    model: UPSTREAM_MODEL,
  };
}

export function cacheHitFloorSystem(url: string): GatewaySystem {
  return { name: 'floor', label: 'bare server, same round trips', target: { origin: url, path: '/v1/chat/completions', headers: {} }, model: UPSTREAM_MODEL };
}

/**
 * The answer the fake upstream gives, one word per stream chunk. Every request also
 * carries its own sequence number, so no exact-match cache on any path can answer it.
 */
export function scriptedReply(words: number): string {
  const vocabulary = ['refunds', 'are', 'accepted', 'within', 'thirty', 'days', 'of', 'delivery', 'when', 'items', 'are', 'unused'];
  return Array.from({ length: words }, (_, index) => vocabulary[index % vocabulary.length]).join(' ');
}

/** Without a sequence number the request is the same every time and deterministic (temperature 0): cacheable. */
export function chatBody(system: GatewaySystem, reply: string, stream: boolean, sequence: number | undefined): string {
  return JSON.stringify({
    model: system.model,
    messages: [{ role: 'user', content: `[[fake: reply="${reply}"]] Request ${sequence ?? 'again'}: what is the refund window?` }],
    stream,
    ...(sequence === undefined ? { temperature: 0 } : {}),
  });
}
