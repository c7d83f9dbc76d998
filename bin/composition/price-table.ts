import type { GatewayConfig } from '../../gateway/routing/index.js';
import { loadGatewayConfig } from './gateway-config.js';
import type { Config } from '../../infra/config/settings.js';
import { createPriceTable, emptyPriceTable, type PriceTable } from '../../projections/index.js';

/**
 * The prices of the gateway file's deployments. Without a file the deployments made from
 * the TESSERA_MODEL_* settings have no prices, so calls cost 0, and the ledger's version
 * does not follow the model names those settings give.
 */
export function loadPriceTable(config: Config): PriceTable {
  const gateway = config.gatewayConfigFile ? loadGatewayConfig(config) : undefined;
  return gateway ? priceTableOf(gateway) : emptyPriceTable;
}

/** Deployments in configuration order: the first one serving a provider and model prices its calls without routing. */
export function priceTableOf(gateway: GatewayConfig): PriceTable {
  return createPriceTable(Object.values(gateway.aliases).flatMap((route) => route.deployments));
}
