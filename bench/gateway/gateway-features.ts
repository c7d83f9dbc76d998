import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Every limit is far above what a bench run sends: counted and checked on each request, never refusing. */
const UNREACHED_PER_MINUTE = '1000000000';
const UNREACHED_BUDGET_MICROS = 1_000_000_000_000;

/**
 * Tessera's settings with the whole gateway on: routing through a gateway file (one
 * priced deployment on the fake upstream), the response cache, and rate limits per
 * key and tenant (requests and tokens; Redis in the services profile).
 */
export function allGatewayFeatures(upstreamUrl: string): Record<string, string> {
  const file = join(mkdtempSync(join(tmpdir(), 'tessera-bench-gateway-')), 'gateway.json');
  const deployment = {
    name: 'fake-upstream',
    provider: 'openai-compatible',
    baseUrl: upstreamUrl,
    apiKey: 'anything',
    model: 'gpt-4o-mini',
    contextWindow: 128_000,
    prices: { inputPerMillion: 0.15, cachedInputPerMillion: 0.075, outputPerMillion: 0.6 },
  };
  writeFileSync(file, JSON.stringify({ aliases: { 'chat/default': { deployments: [deployment] } } }));
  return {
    TESSERA_GATEWAY_CONFIG_FILE: file,
    TESSERA_CACHE_ENABLED: 'true',
    TESSERA_RATE_LIMIT_KEY_REQUESTS_PER_MINUTE: UNREACHED_PER_MINUTE,
    TESSERA_RATE_LIMIT_TENANT_REQUESTS_PER_MINUTE: UNREACHED_PER_MINUTE,
    TESSERA_RATE_LIMIT_KEY_TOKENS_PER_MINUTE: UNREACHED_PER_MINUTE,
    TESSERA_RATE_LIMIT_TENANT_TOKENS_PER_MINUTE: UNREACHED_PER_MINUTE,
  };
}

/** A hard daily budget for the bench tenant, so every call holds and settles against it. */
export async function setBenchBudget(tesseraUrl: string, key: string): Promise<void> {
  const response = await fetch(`${tesseraUrl}/v1/budgets`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ scope: 'tenant', period: 'daily', limitMicros: UNREACHED_BUDGET_MICROS, enforcement: 'hard' }),
  });
  if (response.status !== 200) throw new Error(`could not set the bench budget: HTTP ${response.status} ${await response.text()}`);
}
