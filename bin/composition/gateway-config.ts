import { readFileSync } from 'node:fs';
import { parseGatewayConfig, type GatewayConfig } from '../../gateway/routing/index.js';
import type { Config } from '../../infra/config/settings.js';

/** Read once per loaded configuration, however many parts of the process ask for it. */
const loaded = new WeakMap<Config, GatewayConfig | undefined>();

/** The gateway file named by TESSERA_GATEWAY_CONFIG_FILE, parsed and checked; none when unset. */
export function loadGatewayConfig(config: Config): GatewayConfig | undefined {
  if (loaded.has(config)) return loaded.get(config);
  const gateway = config.gatewayConfigFile ? parseGatewayConfig(JSON.parse(readFileSync(config.gatewayConfigFile, 'utf8')), process.env) : undefined;
  loaded.set(config, gateway);
  return gateway;
}
