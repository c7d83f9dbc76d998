import { readFileSync } from 'node:fs';
import { parseGatewayConfig, type GatewayConfig } from '../../gateway/routing/index.js';
import type { Config } from '../../infra/config/settings.js';

/** The gateway file named by TESSERA_GATEWAY_CONFIG_FILE, parsed and checked; none when unset. */
export function loadGatewayConfig(config: Config): GatewayConfig | undefined {
  return config.gatewayConfigFile ? parseGatewayConfig(JSON.parse(readFileSync(config.gatewayConfigFile, 'utf8'))) : undefined;
}
