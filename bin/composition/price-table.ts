import { readFileSync } from 'node:fs';
import { parseGatewayConfig, type GatewayConfig } from '../../gateway/routing/index.js';
import type { Config } from '../../infra/config/settings.js';
import { createPriceTable, emptyPriceTable, type PriceTable } from '../../projections/index.js';

/**
 * The prices of the gateway configuration's deployments. Without a gateway file the one
 * deployment of the TESSERA_MODEL_* settings has no prices, so its calls cost 0.
 */
export function loadPriceTable(config: Config): PriceTable {
  if (!config.gatewayConfigFile) return emptyPriceTable;
  return priceTableOf(parseGatewayConfig(JSON.parse(readFileSync(config.gatewayConfigFile, 'utf8'))));
}

/** Deployments in configuration order: the first one serving a provider and model prices its calls without routing. */
export function priceTableOf(gateway: GatewayConfig): PriceTable {
  return createPriceTable(Object.values(gateway.aliases).flatMap((route) => route.deployments));
}
