import type { GatewayConfig } from '../../gateway/routing/index.js';
import { loadGatewayConfig } from './gateway-config.js';
import type { Config } from '../../infra/config/settings.js';
import { createPriceTable, emptyPriceTable, type PriceTable } from '../../projections/index.js';

/**
 * The prices of the gateway configuration's deployments. Without a gateway file the one
 * deployment of the TESSERA_MODEL_* settings has no prices, so its calls cost 0.
 */
export function loadPriceTable(config: Config): PriceTable {
  const gateway = loadGatewayConfig(config);
  return gateway ? priceTableOf(gateway) : emptyPriceTable;
}

/** Deployments in configuration order: the first one serving a provider and model prices its calls without routing. */
export function priceTableOf(gateway: GatewayConfig): PriceTable {
  return createPriceTable(Object.values(gateway.aliases).flatMap((route) => route.deployments));
}
