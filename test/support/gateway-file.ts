import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import type { GatewayConfigInput } from '../../gateway/routing/deployments.js';
import { startFakeUpstream, type FakeUpstream, type FakeUpstreamOptions } from './fake-upstream/index.js';
import { startTessera, type HarnessProfile, type RunningTessera } from './tessera-harness.js';

/** Writes a gateway file for a test's Tessera (`TESSERA_GATEWAY_CONFIG_FILE`) and returns its path. */
export function writeGatewayFile(config: GatewayConfigInput): string {
  const file = join(mkdtempSync(join(tmpdir(), 'tessera-gateway-')), 'gateway.json');
  writeFileSync(file, JSON.stringify(config));
  return file;
}

export interface GatewayFixture {
  upstream: FakeUpstream;
  tessera: RunningTessera;
  /** The `openai` SDK pointed at Tessera with the tenant's key, its own retries off. */
  client: OpenAI;
  close(): Promise<void>;
}

/** A fake upstream and a Tessera routing to it through the gateway file `gatewayFor(upstream)` makes. */
export async function startGatewayFixture(
  profile: HarnessProfile,
  gatewayFor: (upstream: FakeUpstream) => GatewayConfigInput,
  options: { environment?: Record<string, string>; upstream?: FakeUpstreamOptions } = {},
): Promise<GatewayFixture> {
  const upstream = await startFakeUpstream(options.upstream);
  const tessera = await startTessera(profile, { TESSERA_GATEWAY_CONFIG_FILE: writeGatewayFile(gatewayFor(upstream)), ...options.environment });
  return {
    upstream,
    tessera,
    client: new OpenAI({ baseURL: `${tessera.url}/v1`, apiKey: tessera.tenant.key, maxRetries: 0 }),
    async close() {
      await tessera.close();
      await upstream.close();
    },
  };
}
